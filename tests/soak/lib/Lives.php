<?php
/** The services' lives a run drives (the soak, the cluster run): each state's next command. */

declare(strict_types=1);

namespace Katapult\Tests\Soak;

final class Lives
{
    /** @param array<string, string> $next the command each state waits for ('active' ends a life, or terminates it) */
    public function __construct(private readonly array $next)
    {
    }

    /** @param array{state: string, terminate: bool} $service */
    public function nextCommand(array $service): ?string
    {
        if ($service['state'] === 'active') {
            return $service['terminate'] ? 'TerminateAccount' : null;
        }
        return $this->next[$service['state']] ?? null;
    }

    /** @param array<int, array{state: string, terminate: bool}> $life */
    public function unfinished(array $life): int
    {
        return count(array_filter($life, fn (array $s) => $this->nextCommand($s) !== null || $s['state'] === 'requested'));
    }
}

<?php
/** WHMCS's cron beside the module commands (the soak, the cluster run). */

declare(strict_types=1);

namespace Katapult\Tests\Soak;

/** One web node's cron: one run at a time, started again when it ends, maybe SIGKILLed. */
final class CronRunner
{
    public int $runs = 0;
    public int $kills = 0;
    /** @var resource|null */
    private $process = null;

    /**
     * @param list<string> $command
     * @param array<string, string>|null $env the run's environment (null: this process's)
     */
    public function __construct(private readonly array $command, private readonly string $errors, private readonly float $killChance, private readonly ?array $env = null)
    {
    }

    /** Reaps a finished run and starts the next, which (while killing) may be SIGKILLed at once. */
    public function tick(bool $killing): void
    {
        if ($this->process !== null && proc_get_status($this->process)['running']) {
            return;
        }
        if ($this->process !== null) {
            proc_close($this->process);
        }
        $this->process = proc_open($this->command, [1 => ['file', '/dev/null', 'w'], 2 => ['file', $this->errors, 'a']], $pipes, null, $this->env);
        $this->runs++;
        if ($killing && mt_rand() / mt_getrandmax() < $this->killChance) {
            // A moment in its boot, its checks or its writes: waited for here, so it is not missed.
            usleep(mt_rand(30_000, 300_000));
            if (proc_get_status($this->process)['running']) {
                proc_terminate($this->process, 9);
                $this->kills++;
            }
            proc_close($this->process);
            $this->process = null;
        }
    }

    /** Lets the current run end. */
    public function finish(): void
    {
        if ($this->process !== null) {
            proc_close($this->process);
            $this->process = null;
        }
    }
}

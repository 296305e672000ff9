<?php
declare(strict_types=1);

namespace Katapult\Tests\Support;

/** Runs PHP code in a child PHP process with the extension and chosen INI settings and environment. */
final class Php
{
    /**
     * @param array<string, string> $ini
     * @param array<string, string> $env
     * @return array{0: int, 1: string, 2: string} exit status, stdout, stderr
     */
    public static function run(string $code, array $ini = [], array $env = [], array $arguments = []): array
    {
        $command = [PHP_BINARY, '-n', '-d', 'extension=' . self::extensionPath()];
        foreach ($ini as $name => $value) {
            array_push($command, '-d', "$name=$value");
        }
        array_push($command, '-r', $code, '--', ...$arguments);
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env + ['PATH' => (string) getenv('PATH')]);
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);
        return [proc_close($process), (string) $stdout, (string) $stderr];
    }

    /** The extension file under test: KATAPULT_EXT, or the release build. */
    public static function extensionPath(): string
    {
        return getenv('KATAPULT_EXT') ?: dirname(__DIR__, 3) . '/target/release/libkatapult.so';
    }
}

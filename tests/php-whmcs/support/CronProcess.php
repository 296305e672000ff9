<?php
declare(strict_types=1);

/**
 * WHMCS's cron (the stand-in's cron.php) in a process of its own, beside the test, on its
 * database and simulator: two crons meeting, or a cron meeting an admin's module command.
 */
final class CronProcess
{
    /** PHP reports the exit code once, to the first status read after the exit: kept here. */
    private ?int $exitCode = null;

    private int $pid;

    /** @param array<int, resource> $pipes */
    private function __construct(private $process, private array $pipes)
    {
        $status = proc_get_status($process);
        $this->pid = $status['pid'];
        $this->exitCode = $status['running'] ? null : $status['exitcode'];
    }

    /** Starts a cron; `$root` is a WHMCS root of its own (its provider hooks), else the test's. */
    public static function start(?string $root = null): self
    {
        $command = [PHP_BINARY];
        // A test process whose ini folder loads the extension passes it on through the environment.
        if (!str_contains((string) php_ini_scanned_files(), 'katapult.ini')) {
            array_push($command, '-d', 'extension=' . (getenv('KATAPULT_EXT') ?: dirname(__DIR__, 3) . '/target/release/libkatapult.so'));
        }
        $command[] = dirname(__DIR__, 2) . '/whmcs/cron.php';
        $environment = $root === null ? null : ['WHMCS_ROOTDIR' => $root] + getenv();
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $environment);
        if (!is_resource($process)) {
            throw new \RuntimeException('the cron process did not start');
        }
        return new self($process, $pipes);
    }

    public function running(): bool
    {
        $status = proc_get_status($this->process);
        if (!$status['running'] && $this->exitCode === null) {
            $this->exitCode = $status['exitcode'];
        }
        return $status['running'];
    }

    /** Waits for the cron to end; it must have exited 0. Returns its pid. */
    public function finish(): int
    {
        $out = stream_get_contents($this->pipes[1]) . stream_get_contents($this->pipes[2]);
        while ($this->running()) {
            usleep(10_000);
        }
        proc_close($this->process);
        if ($this->exitCode !== 0) {
            throw new \RuntimeException("cron process {$this->pid} exited {$this->exitCode}: $out");
        }
        return $this->pid;
    }
}

<?php
declare(strict_types=1);

namespace Katapult\Tests\Support;

/**
 * Runs HostileInputTest's calls in child PHP processes (support/hostile-child.php), a batch per
 * child and a few children at a time, and finds what went wrong: a child that died (signal, PHP
 * fatal error, non-zero exit), hung, printed a panic or crash message, or printed anything at all
 * on stdout besides the protocol.
 *
 * When a child dies during a call, that call is run again alone in a fresh child (to tell a call
 * that crashes by itself from one that crashes only after the calls before it), and the rest of
 * the batch goes on in another child. A child that dies outside any call (at start-up or at
 * shutdown) has each of its calls run alone, to find the one that leaves the process broken.
 *
 * A case is ['label' => what the report says, 'call' => ..., 'args' => ..., 'named' => ...]; see
 * hostile-child.php for 'call' and the argument specs.
 */
final class HostileRunner
{
    /** Text in a child's stderr (around a call) that means something went wrong inside it. */
    private const BAD_STDERR = '/panick?ed|\bpanic\b|RUST_BACKTRACE|Segmentation fault|Aborted|core dumped|'
        . 'stack overflow|Fatal error|memory allocation of|double free|free\(\): |malloc\(\)|corrupted|'
        . 'katapult: internal error|AddressSanitizer|'
        // valgrind's (memcheck) reports
        . 'Invalid (read|write|free)|uninitialised|Mismatched free|Source and destination overlap|'
        . 'Jump to the invalid address|Process terminating with default action/i';

    private const SIGNALS = [4 => 'SIGILL', 5 => 'SIGTRAP', 6 => 'SIGABRT', 7 => 'SIGBUS', 8 => 'SIGFPE', 9 => 'SIGKILL', 11 => 'SIGSEGV', 15 => 'SIGTERM'];

    /** @var array<int, array<string, mixed>> id => what the child reported for the call */
    private array $results = [];
    /** @var list<array{case: string, problem: string}> */
    private array $failures = [];
    /** @var list<array<string, mixed>> batches waiting for a child */
    private array $queue = [];
    private int $jobNumber = 0;
    private int $childrenStarted = 0;
    private string $workDir;

    /**
     * @param string $mode 'bare' or 'whmcs' (hostile-child.php boots the WHMCS stand-in)
     * @param array<string, mixed> $setup handed to the child (URLs, ids of fixtures)
     * @param array<string, string> $ini -d settings of the child
     * @param array<string, string> $env the child's environment (PATH is added)
     * @param \Closure(int, string): array<string, string>|null $jobEnv extra environment per child
     *        (given the child's number and the runner's scratch folder)
     * @param list<string> $prefix a wrapper for the child's command, e.g. valgrind and its flags
     * @param float $silence seconds without a line from a child before it counts as hung
     * @param int|null $wrapperExit the status the wrapper exits with when it reported errors
     *        itself (valgrind's --error-exitcode); its messages are then already in the stderr
     *        of the calls, so the calls are not run again alone
     * @param string|null $keepStderr a folder to keep each child's stderr in (for valgrind.sh)
     */
    public function __construct(
        private string $mode,
        private array $setup,
        private array $ini,
        private array $env = [],
        private ?\Closure $jobEnv = null,
        private int $parallel = 2,
        private array $prefix = [],
        private float $silence = 20.0,
        private ?int $wrapperExit = null,
        private ?string $keepStderr = null,
    ) {
        $this->workDir = sys_get_temp_dir() . '/katapult-hostile-' . getmypid() . '-' . bin2hex(random_bytes(3));
        mkdir($this->workDir);
    }

    public function __destruct()
    {
        foreach (glob($this->workDir . '/*') ?: [] as $file) {
            is_dir($file) ? self::removeTree($file) : unlink($file);
        }
        @rmdir($this->workDir);
    }

    /** @param list<array<int, array<string, mixed>>> $batches each: id => case, ids unique across batches */
    public function run(array $batches): void
    {
        foreach ($batches as $cases) {
            if ($cases !== []) {
                $this->queue[] = ['cases' => $cases, 'alone' => false, 'origin' => null];
            }
        }
        /** @var list<array<string, mixed>> $running */
        $running = [];
        while ($this->queue !== [] || $running !== []) {
            while (count($running) < $this->parallel && $this->queue !== []) {
                $running[] = $this->start(array_shift($this->queue));
            }
            $pipes = array_map(fn (array $child) => $child['stdout'], $running);
            $write = $except = null;
            if (@stream_select($pipes, $write, $except, 0, 200_000) === false) {
                usleep(50_000);
            }
            foreach ($running as $index => &$child) {
                $chunk = fread($child['stdout'], 1 << 16);
                if ($chunk !== false && $chunk !== '') {
                    $child['output'] .= $chunk;
                    $child['heard'] = microtime(true);
                }
                if (feof($child['stdout'])) {
                    $this->finish($child, false);
                    unset($running[$index]);
                } elseif (microtime(true) - $child['heard'] > $this->silence) {
                    proc_terminate($child['process'], 9);
                    $this->finish($child, true);
                    unset($running[$index]);
                }
            }
            unset($child);
            $running = array_values($running);
        }
    }

    /** @return array<int, array<string, mixed>> id => the child's report on the call */
    public function results(): array
    {
        return $this->results;
    }

    /** @return list<array{case: string, problem: string}> */
    public function failures(): array
    {
        return $this->failures;
    }

    public function childrenStarted(): int
    {
        return $this->childrenStarted;
    }

    /** @return array<string, mixed> the running child */
    private function start(array $job): array
    {
        $number = ++$this->jobNumber;
        $this->childrenStarted++;
        $batchFile = "$this->workDir/batch-$number.ser";
        file_put_contents($batchFile, serialize([
            'mode' => $this->mode,
            'setup' => $this->setup,
            'cases' => array_map(fn (array $case) => array_diff_key($case, ['label' => true]), $job['cases']),
        ]));
        $stderrFile = "$this->workDir/stderr-$number.txt";
        $command = [...$this->prefix, PHP_BINARY, '-d', 'extension=' . Php::extensionPath()];
        foreach ($this->ini as $name => $value) {
            array_push($command, '-d', "$name=$value");
        }
        array_push($command, __DIR__ . '/hostile-child.php', $batchFile);
        $env = ['PATH' => (string) getenv('PATH')] + $this->env + ($this->jobEnv === null ? [] : ($this->jobEnv)($number, $this->workDir));
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['file', $stderrFile, 'w']], $pipes, null, $env);
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start a child PHP: ' . implode(' ', $command));
        }
        stream_set_blocking($pipes[1], false);
        return $job + [
            'number' => $number,
            'process' => $process,
            'stdout' => $pipes[1],
            'stderrFile' => $stderrFile,
            'batchFile' => $batchFile,
            'output' => '',
            'heard' => microtime(true),
            'started' => microtime(true),
        ];
    }

    private function finish(array $child, bool $hung): void
    {
        // Whatever is still in the pipe, then how the process ended.
        while (!$hung && !feof($child['stdout']) && ($chunk = fread($child['stdout'], 1 << 16)) !== false && $chunk !== '') {
            $child['output'] .= $chunk;
        }
        fclose($child['stdout']);
        $status = proc_get_status($child['process']);
        $deadline = microtime(true) + 10;
        while ($status['running'] && microtime(true) < $deadline) {
            usleep(10_000);
            $status = proc_get_status($child['process']);
        }
        if ($status['running']) {
            // Closed its stdout but does not end: counts as hung.
            proc_terminate($child['process'], 9);
            $hung = true;
            $status = proc_get_status($child['process']);
        }
        proc_close($child['process']);
        $stderr = (string) @file_get_contents($child['stderrFile']);
        if ($this->keepStderr !== null) {
            rename($child['stderrFile'], sprintf('%s/%s-child-%d.log', $this->keepStderr, $this->mode, $child['number']));
        } else {
            @unlink($child['stderrFile']);
        }
        @unlink($child['batchFile']);

        $cases = $child['cases'];
        $debug = (int) getenv('HOSTILE_DEBUG');
        if ($debug > 0) {
            fprintf(STDERR, "child %d: %d calls, %.2f s, first: %s\n", $child['number'], count($cases), microtime(true) - $child['started'], reset($cases)['label']);
        }
        $stderrByCase = self::splitStderr($stderr);
        $ended = [];
        $begun = null;
        $done = false;
        foreach (explode("\n", $child['output']) as $line) {
            if ($line === '') {
                continue;
            }
            if (preg_match('/^BEGIN (\d+)$/', $line, $m)) {
                $begun = (int) $m[1];
            } elseif (preg_match('/^END (\d+) (.*)$/s', $line, $m)) {
                $id = (int) $m[1];
                $ended[$id] = true;
                $report = json_decode($m[2], true) ?? ['outcome' => 'unreadable report', 'raw' => $m[2]];
                $this->results[$id] = $report;
                if ($debug > 0 && ($report['ms'] ?? 0) >= $debug) {
                    fprintf(STDERR, "slow call: %d ms: %s -> %s\n", $report['ms'], $cases[$id]['label'], substr(($report['class'] ?? '') . ' ' . ($report['message'] ?? $report['value'] ?? ''), 0, 200));
                }
                $this->judge($cases[$id]['label'], $report, $stderrByCase[$id] ?? '');
            } elseif ($line === 'DONE') {
                $done = true;
            } else {
                $during = $begun !== null && !isset($ended[$begun]) ? $cases[$begun]['label'] : 'between calls';
                $this->fail($during, 'printed on stdout: ' . self::excerpt($line));
            }
        }
        $exit = $status['signaled'] ? 128 + $status['termsig'] : $status['exitcode'];
        if ($done && $exit === 0 && !$hung) {
            if (isset($stderrByCase['start']) && preg_match(self::BAD_STDERR, $stderrByCase['start'])) {
                $this->fail('start-up of a child', 'stderr: ' . self::excerpt($stderrByCase['start']));
            }
            if ($child['origin'] !== null) {
                // Run alone, the call that took a batch down is fine: it needs the calls before it.
                [$label] = array_values(array_map(fn (array $c) => $c['label'], $cases));
                $this->fail($label, $child['origin'] . '; run alone in a fresh process it ended normally, so an earlier call of the batch left the process broken');
            }
            return;
        }

        if ($done && !$hung && $this->wrapperExit !== null && $exit === $this->wrapperExit) {
            $this->fail('a batch of ' . count($cases) . ' calls', "the wrapper ({$this->prefix[0]}) reported errors (exit status $exit); "
                . 'see the calls named with its messages; the first of them: '
                . self::excerpt(implode("\n", array_slice(preg_grep('/^==\d+== (Invalid|Conditional|Use of|Syscall|Mismatched|Source|Jump|Process)/', explode("\n", $stderr)) ?: [], 0, 10))));
            return;
        }
        $how = match (true) {
            $hung => sprintf('hung (no output for %.0f s), killed', $this->silence),
            $status['signaled'] => 'killed by signal ' . $status['termsig'] . ' (' . (self::SIGNALS[$status['termsig']] ?? '?') . ')',
            default => "exited with status $exit" . ($done ? ' after its last call' : ''),
        };
        $inFlight = $begun !== null && !isset($ended[$begun]) ? $begun : null;
        if ($inFlight !== null) {
            $stderrTail = '; stderr: ' . self::excerpt($stderrByCase[$inFlight] ?? '');
            if ($child['alone']) {
                $this->fail($cases[$inFlight]['label'], $how . ($child['origin'] !== null ? ' (also when run alone)' : '') . $stderrTail);
            } else {
                $before = array_slice(array_keys($ended), -3);
                $origin = 'the child died during this call: ' . $how . $stderrTail . ($before === [] ? '' : '; the calls just before it: '
                    . implode('; ', array_map(fn (int $id) => $cases[$id]['label'], $before)));
                $this->queue[] = ['cases' => [$inFlight => $cases[$inFlight]], 'alone' => true, 'origin' => $origin];
            }
            $rest = array_slice($cases, array_search($inFlight, array_keys($cases), true) + 1, null, true);
            if ($rest !== []) {
                $this->queue[] = ['cases' => $rest, 'alone' => false, 'origin' => null];
            }
            return;
        }
        // Died outside any call: at start-up, or at shutdown after its calls.
        $where = $begun === null ? 'at start-up' : 'after its last call (at shutdown)';
        $stderrTail = self::excerpt(($stderrByCase['start'] ?? '') . ($begun !== null ? ($stderrByCase[$begun] ?? '') : ''));
        $labels = array_map(fn (array $c) => $c['label'], $cases);
        $this->fail(count($labels) === 1 ? reset($labels) : 'a batch of ' . count($labels) . ' calls, the first: ' . reset($labels), "$how $where; stderr: $stderrTail");
        if (count($cases) > 1 && $begun !== null) {
            // Which call leaves the process to die at shutdown: each alone (reported if it does).
            foreach ($cases as $id => $case) {
                $this->queue[] = ['cases' => [$id => $case], 'alone' => true, 'origin' => null];
            }
        }
    }

    /** A call that ended: a panic, or a stderr message that says something broke, fails it. */
    private function judge(string $label, array $report, string $stderr): void
    {
        $problems = [];
        if (($report['outcome'] ?? '') === 'setup-failed') {
            $problems[] = 'the harness could not prepare the call: ' . ($report['class'] ?? '') . ': ' . ($report['message'] ?? '');
        }
        if (!empty($report['panic'])) {
            $problems[] = 'threw a panic: ' . $report['class'] . ': ' . $report['message'];
        }
        if (preg_match(self::BAD_STDERR, $stderr)) {
            $problems[] = 'stderr: ' . self::excerpt($stderr);
        }
        if ($problems !== []) {
            $this->fail($label, implode("\n  ", $problems));
        }
    }

    private function fail(string $label, string $problem): void
    {
        $this->failures[] = ['case' => $label, 'problem' => $problem];
    }

    /** @return array<int|string, string> stderr by call id ('start': before the first call) */
    private static function splitStderr(string $stderr): array
    {
        $parts = preg_split('/\n@@case (\d+)\n/', $stderr, -1, PREG_SPLIT_DELIM_CAPTURE) ?: [$stderr];
        $byCase = ['start' => (string) array_shift($parts)];
        for ($i = 0; $i + 1 < count($parts); $i += 2) {
            $byCase[(int) $parts[$i]] = $parts[$i + 1];
        }
        return $byCase;
    }

    private static function excerpt(string $text): string
    {
        $text = trim((string) preg_replace('/[^\x20-\x7e\n]/', '?', $text));
        return strlen($text) <= 1500 ? $text : substr($text, 0, 700) . "\n…\n" . substr($text, -700);
    }

    private static function removeTree(string $dir): void
    {
        foreach (new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($dir, \FilesystemIterator::SKIP_DOTS), \RecursiveIteratorIterator::CHILD_FIRST) as $file) {
            $file->isDir() && !$file->isLink() ? rmdir($file->getPathname()) : unlink($file->getPathname());
        }
        rmdir($dir);
    }
}

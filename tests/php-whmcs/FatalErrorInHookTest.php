<?php
declare(strict_types=1);

use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;

/**
 * A PHP fatal error (or exit()) in a provider's hook, while the module is at work (CreateAccount,
 * the build sync), ends the request as PHP ends it, and the API can still be used from a shutdown function
 * in the same process: the fatal error skips no Rust frame that something still points into.
 * Each case is a child process (fatal/fatal-in-hook.php); tests/tools/valgrind.sh runs this test
 * with each child under valgrind (KATAPULT_CHILD_PREFIX), which reports any read of freed memory.
 */
final class FatalErrorInHookTest extends TestCase
{
    /** @return array<string, array{0: string, 1: string}> */
    public static function cases(): array
    {
        return [
            'memory_limit in BuildRequested, during CreateAccount' => ['create', 'memory'],
            'Cannot redeclare in BuildRequested, during CreateAccount' => ['create', 'redeclare'],
            'memory_limit in Built, during the build sync' => ['built', 'memory'],
            'Cannot redeclare in Built, during the build sync' => ['built', 'redeclare'],
            'exit() in BuildRequested, during CreateAccount' => ['create', 'exit'],
            'exit() in Built, during the build sync' => ['built', 'exit'],
        ];
    }

    /** @dataProvider cases */
    public function testTheRequestEndsAsPhpEndsItAndTheApiStillWorksInShutdown(string $when, string $fatal): void
    {
        $sim = new Simulator();
        try {
            $prefix = array_values(array_filter(explode(' ', (string) getenv('KATAPULT_CHILD_PREFIX'))));
            $command = [...$prefix,
                PHP_BINARY, '-d', 'extension=' . (getenv('KATAPULT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libkatapult.so'),
                // pcre.jit=0: valgrind cannot follow PCRE's JIT code (tests/tools/valgrind.sh).
                '-d', 'memory_limit=64M', '-d', 'display_errors=stderr', '-d', 'log_errors=0', '-d', 'pcre.jit=0',
                __DIR__ . '/fatal/fatal-in-hook.php', $when, $fatal,
            ];
            $env = ['KATAPULT_API_URL' => $sim->baseUrl] + getenv();
            $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
            $stdout = stream_get_contents($pipes[1]);
            $stderr = stream_get_contents($pipes[2]);
            $status = proc_close($process);
            $output = "status $status\n$stdout\n$stderr";

            $this->assertSame($fatal === 'exit' ? 7 : 255, $status, "PHP's status after a fatal error or exit, not a crash:\n$output");
            $this->assertStringContainsString("hook: failing ($fatal)", $stdout, $output);
            if ($fatal !== 'exit') {
                $expected = match (true) {
                    $fatal === 'redeclare' => 'Cannot redeclare',
                    getenv('USE_ZEND_ALLOC') === '0' => 'the ballast did not reach memory_limit', // no memory_limit
                    default => 'Allowed memory size',
                };
                $this->assertStringContainsString($expected, $stdout . $stderr, $output);
            }
            $this->assertSame(3, preg_match_all('/^shutdown: [1-9]\d* organizations$/m', $stdout), $output);
            $this->assertStringContainsString('shutdown: TestConnection success', $stdout, $output);
            $this->assertStringNotContainsString('the hook never ran', $stdout, $output);
        } finally {
            $sim->stop();
        }
    }
}

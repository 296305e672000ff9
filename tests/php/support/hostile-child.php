<?php
/**
 * The child process of HostileInputTest: makes a batch of calls into the extension and reports each
 * one, so that the parent sees which call was running when the process died.
 *
 * Usage: php -d extension=katapult.so hostile-child.php <batch file>
 * The batch file is a serialize()d array: mode ('bare' or 'whmcs'), setup (what the parent
 * prepared) and cases (id => case, see HostileRunner).
 *
 * Protocol on stdout, one line each: "BEGIN <id>" before a call, "END <id> <json>" after it,
 * "DONE" at the end. Before each call "@@case <id>" also goes to stderr, so that whatever the
 * process writes there (a panic message, PHP's fatal error) can be put down to the call.
 */

declare(strict_types=1);

use Katapult\Tests\Support\HostileValues;

require __DIR__ . '/HostileValues.php';

final class HostileChild
{
    /** @var array<string, object> */
    private array $receivers = [];
    /** @var list<string> PHP warnings/notices raised by the current call */
    private array $warnings = [];

    /** @param array<string, mixed> $setup what the parent prepared (URLs, ids of WHMCS fixtures) */
    public function __construct(private array $setup)
    {
    }

    public function run(array $cases): void
    {
        set_error_handler(function (int $level, string $message, string $file = '', int $line = 0): bool {
            $this->warnings[] = self::short($message, 300);
            return true;
        });
        foreach ($cases as $id => $case) {
            fwrite(STDOUT, "BEGIN $id\n");
            fwrite(STDERR, "\n@@case $id\n");
            $this->warnings = [];
            $started = hrtime(true);
            $report = $this->runCase($case);
            $report['ms'] = intdiv(hrtime(true) - $started, 1_000_000);
            $report['warnings'] = $this->warnings;
            fwrite(STDOUT, "END $id " . json_encode($report, JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR) . "\n");
        }
        restore_error_handler();
        fwrite(STDOUT, "DONE\n");
    }

    /** @return array<string, mixed> */
    private function runCase(array $case): array
    {
        try {
            [$callable, $arguments] = $this->prepare($case);
        } catch (\Throwable $e) {
            return ['outcome' => 'setup-failed', 'class' => get_class($e), 'message' => self::short($e->getMessage(), 500)];
        }
        try {
            $result = $callable(...$arguments);
            $report = ['outcome' => 'return', 'type' => get_debug_type($result)];
            if (is_string($result)) {
                $report['value'] = self::short($result, 200);
            }
            unset($result);
            return $report;
        } catch (\Throwable $e) {
            return [
                'outcome' => 'throw',
                'class' => get_class($e),
                'message' => self::short($e->getMessage(), 500),
                // Checked on the whole message: a cut message must not hide it.
                'panic' => str_contains($e->getMessage(), 'Rust panic') || preg_match('/\bpanick?(ed)?\b/i', $e->getMessage()) === 1,
            ];
        }
    }

    /** @return array{0: \Closure, 1: array<int|string, mixed>} */
    private function prepare(array $case): array
    {
        $arguments = array_map(fn (array $spec) => $this->value($spec), $case['args'] ?? []);
        foreach ($case['named'] ?? [] as $name => $spec) {
            $arguments[$name] = $this->value($spec);
        }
        $call = $case['call'];
        $callable = match ($call[0]) {
            'function' => fn (...$a) => ($call[1])(...$a),
            'new' => fn (...$a) => new ($call[1])(...$a),
            'static' => fn (...$a) => ($call[1])::{$call[2]}(...$a),
            'method' => (function () use ($call): \Closure {
                $receiver = $this->receiver($call[1]);
                return fn (...$a) => $receiver->{$call[2]}(...$a);
            })(),
            'object' => (function () use ($call): \Closure {
                $receiver = $this->receiver($call[1]);
                return fn () => self::objectOperation($receiver, $call[2]);
            })(),
            'harness' => fn () => $this->harnessCheck($call[1]),
        };
        return [$callable, $arguments];
    }

    private function value(array $spec): mixed
    {
        return match ($spec[0]) {
            'value' => HostileValues::get($spec[1]),
            'literal' => $spec[1],
            'fixture' => $this->fixture($spec[1], $spec[2] ?? [], $spec[3] ?? null),
        };
    }

    /** A realistic array (a service's $params, a client-area request) with fields replaced. */
    private function fixture(string $name, array $overrides, ?array $extra): array
    {
        $array = match ($name) {
            'service params' => \WhmcsStandIn\Module::buildParams($this->setup['service']),
            'client request' => ['client' => $this->setup['client'], 'token' => '', 'csrf' => 'csrf-token', 'language' => 'english', 'dir' => $this->setup['module_dir']],
            'email vars' => ['messagename' => 'Hosting Account Welcome Email', 'relid' => $this->setup['service']],
            'product vars' => ['pid' => $this->setup['product']],
            // Nothing to save: a valid key would be checked and the options re-synced (over a
            // second) on every call. The test puts its hostile values into the fields one by one.
            'settings post' => ['katapult_api_key' => '', 'katapult_parent_organization' => '', 'katapult_sync_config_options' => ''],
        };
        foreach ($overrides as $field => $spec) {
            $array[$field] = $this->value($spec);
        }
        return $extra === null ? $array : $array + $this->value($extra);
    }

    /** The object a method is called on, made once per process. */
    private function receiver(string $name): object
    {
        return $this->receivers[$name] ??= match (true) {
            $name === 'Katapult\ApiClient' => new \Katapult\ApiClient('sim-token', $this->setup['api_url']),
            $name === 'Katapult\ApiClient (closed port)' => new \Katapult\ApiClient('sim-token', 'https://127.0.0.1:9/core/v1'),
            $name === 'Katapult\VirtualMachineService' => new \Katapult\VirtualMachineService($this->setup['service'] ?? 1, $this->setup['client'] ?? 1),
            $name === 'Katapult\ApiException' => new \Katapult\ApiException('hostile'),
            // A live VM (whmcs mode): the one service the module functions leave alone.
            $name === 'Krystal\Katapult\API\RestfulKatapultApiV1\Resources\Organization\VirtualMachine'
                => (new \Katapult\VirtualMachineService($this->setup['vm_service'], $this->setup['vm_client']))->vm()
                    ?? throw new \RuntimeException('the VM service has no VM'),
            str_starts_with($name, 'uninitialized ') => (new \ReflectionClass(substr($name, strlen('uninitialized '))))->newInstanceWithoutConstructor(),
            str_starts_with($name, 'subclass without parent constructor ') => self::subclass(substr($name, strlen('subclass without parent constructor '))),
        };
    }

    /** What PHP code can do to any object, through the engine's object handlers. */
    private static function objectOperation(object $object, string $operation): mixed
    {
        return match ($operation) {
            'var_dump' => (function () use ($object): int {
                ob_start();
                var_dump($object);
                return strlen((string) ob_get_clean());
            })(),
            'print_r' => strlen(print_r($object, true)),
            'var_export' => strlen(var_export($object, true)),
            'json_encode' => json_encode($object),
            '(array)' => count((array) $object),
            'get_object_vars' => count(get_object_vars($object)),
            'foreach' => iterator_count((function () use ($object) {
                foreach ($object as $key => $value) {
                    yield $key => $value;
                }
            })()),
            '== another of its class' => $object == (new \ReflectionClass($object))->newInstanceWithoutConstructor(),
            'serialize' => serialize($object),
            'unserialize' => unserialize(sprintf('O:%d:"%s":0:{}', strlen(get_class($object)), get_class($object))),
            'clone' => clone $object,
            'isset property' => isset($object->id),
            'read property' => $object->id ?? null,
            'write property' => $object->hostile = "\xff",
            'unset property' => (function () use ($object): bool {
                unset($object->id);
                return true;
            })(),
            '(string)' => (string) $object,
        };
    }

    /** A PHP subclass whose constructor never calls the extension's constructor. */
    private static function subclass(string $class): object
    {
        $name = 'HostileSubclass' . md5($class);
        if (!class_exists($name, false)) {
            eval("final class $name extends \\$class { public function __construct() {} }");
        }
        return new $name();
    }

    /**
     * The harness's self-checks: HostileInputTest::testTheHarnessCatchesCrashesPanicsAndHangs, and
     * tests/tools/valgrind.sh's check that valgrind reports a planted use-after-free ('use after free').
     */
    private function harnessCheck(string $what): mixed
    {
        return match ($what) {
            'SIGSEGV' => posix_kill(getmypid(), SIGSEGV),
            'SIGABRT' => posix_kill(getmypid(), SIGABRT),
            'panic text' => fwrite(STDERR, "thread 'main' panicked at src/php/mod.rs:1:1\n"),
            'fatal error' => (function () {
                ini_set('memory_limit', '4M');
                return str_repeat('x', 64 << 20);
            })(),
            'hang' => sleep(3600),
            'crash at shutdown' => register_shutdown_function(fn () => posix_kill(getmypid(), SIGSEGV)),
            'exit 3' => exit(3),
            'stray output' => print("something the extension printed\n"),
            'use after free' => (function () {
                $libc = \FFI::cdef('void *malloc(size_t size); void free(void *pointer);');
                $block = $libc->malloc(16);
                $libc->free($block);
                return ord(\FFI::cast('char *', $block)[3]);
            })(),
            'fine' => 'a normal return',
        };
    }

    private static function short(string $text, int $limit): string
    {
        return strlen($text) <= $limit ? $text : substr($text, 0, $limit) . '… (' . strlen($text) . ' bytes)';
    }
}

if (!extension_loaded('katapult')) {
    // Every call would throw "undefined function" and look like a clean failure.
    fwrite(STDERR, "Fatal error: the katapult extension is not loaded\n");
    exit(2);
}

$batch = unserialize((string) file_get_contents($argv[1]));

if ($batch['mode'] === 'whmcs') {
    // A private copy of the prepared WHMCS database, so the calls of one batch do not disturb
    // another running beside it.
    $db = getenv('WHMCS_DB_DSN');
    copy($batch['setup']['database'], substr($db, strlen('sqlite:')));
    require $batch['setup']['whmcs_bootstrap'];
    \WhmcsStandIn\Module::load($batch['setup']['module_dir']);
    // A throw-away copy: no need to wait for the disk on every write.
    \WHMCS\Database\Capsule::connection()->getPdo()->exec('PRAGMA synchronous = OFF');
}

(new HostileChild($batch['setup']))->run($batch['cases']);

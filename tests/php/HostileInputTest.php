<?php
declare(strict_types=1);

use Katapult\Tests\Support\HostileRunner;
use Katapult\Tests\Support\HostileValues;
use Katapult\Tests\Support\Php;
use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/support/HostileValues.php';
require_once __DIR__ . '/support/HostileRunner.php';

/**
 * Every function, constructor and method the extension exposes (found by reflection, so a new one
 * is covered without touching this file), called with hostile arguments: wrong types, nulls, empty,
 * huge, NUL-laden and invalid UTF-8 strings, deep, wide and self-referencing arrays, odd keys,
 * extreme numbers, objects, closures, resources, too few and too many arguments. Each call must
 * return or throw; it must never crash PHP, panic, hang or print.
 *
 * The calls run in child PHP processes (HostileRunner, support/hostile-child.php), so a crash is
 * seen as the child's death and reported with the call that was running.
 * - "bare": no WHMCS. The module functions fail at the missing database; the API client talks to
 *   the simulator.
 * - "whmcs": the WHMCS stand-in with a configured product and two built services, against the
 *   simulator: every field of the arrays WHMCS passes ($params, the client-area request, hook
 *   $vars, $_POST) is replaced in turn, so the calls get past the checks at the door; the VM
 *   object's methods run on a live VM.
 *
 * The run's size and time go to stderr. Environment for tests/tools/valgrind.sh:
 * HOSTILE_CHILD_PREFIX (a command the children run under, split on spaces), HOSTILE_WRAPPER_EXIT
 * (the status it exits with when it found errors), HOSTILE_KEEP_STDERR (a folder for the
 * children's stderr), HOSTILE_MODES (e.g. "bare": the modes to run), HOSTILE_PARALLEL (children
 * at a time), HOSTILE_CHILDREN (merge the batches into this many children), HOSTILE_VALUES=field
 * (the smaller value set for whole arguments too), HOSTILE_DEBUG=<ms> (print calls that took
 * longer, and each child's time).
 */
final class HostileInputTest extends TestCase
{
    /**
     * Fewer than this means reflection does not see the extension it should (or none at all), and
     * the hostile runs would pass on next to nothing. (Found at the time of writing: 26 functions,
     * 4 classes, 40 methods and constructors.)
     */
    private const MIN_FUNCTIONS = 20;
    private const MIN_CLASSES = 4;
    private const MIN_METHODS = 30;

    private const SERVICE_FIELDS = ['serviceid', 'userid', 'domain', 'username', 'password', 'configoption1', 'configoption2', 'configoption3', 'configoptions', 'clientsdetails', 'customfields', 'model'];
    private const FIXTURE_FIELDS = [
        'service params' => self::SERVICE_FIELDS,
        'client request' => ['client', 'token', 'csrf', 'language', 'dir'],
        'email vars' => ['relid', 'messagename'],
        'product vars' => ['pid'],
        // Not the re-sync checkbox: any string in it starts a sync of the configurable options
        // (about 1.5 s each), and nothing else is read from it.
        'settings post' => ['katapult_api_key', 'katapult_parent_organization'],
    ];
    /** Added to a fixture array as extra keys. */
    private const EXTRA_KEYS = ['odd keys', 'array of objects', 'wide map (100000 keys)'];

    /** The live VM object (named as the PHP module's class, for hook code's type hints). */
    private const VM_CLASS = 'Krystal\Katapult\API\RestfulKatapultApiV1\Resources\Organization\VirtualMachine';
    /** What PHP code can do to any object besides calling its methods (hostile-child.php). */
    private const OBJECT_OPERATIONS = [
        'var_dump', 'print_r', 'var_export', 'json_encode', '(array)', 'get_object_vars', 'foreach',
        '== another of its class', 'serialize', 'unserialize', 'clone', 'isset property',
        'read property', 'write property', 'unset property', '(string)',
    ];

    private static ?Simulator $sim = null;
    private int $nextId = 0;

    public static function setUpBeforeClass(): void
    {
        // Thousands of calls: the simulator's rate limit (1000 a minute) must not slow them down.
        self::$sim = new Simulator(['--rate-limit', '100000000']);
    }

    public static function tearDownAfterClass(): void
    {
        self::$sim?->stop();
        self::$sim = null;
    }

    public function testReflectionFindsTheExtensionsWholeApi(): void
    {
        [$functions, $classes, $methods] = self::api();
        $this->assertGreaterThanOrEqual(self::MIN_FUNCTIONS, count($functions), 'functions found by reflection');
        $this->assertGreaterThanOrEqual(self::MIN_CLASSES, count($classes), 'classes found by reflection');
        $this->assertGreaterThanOrEqual(self::MIN_METHODS, count($methods), 'methods and constructors found by reflection');
        $this->assertContains('Katapult\Module\createAccount', array_map(fn (ReflectionFunction $f) => $f->getName(), $functions));
        $this->assertContains('Katapult\ApiClient::__construct', array_map(fn (array $m) => $m[0] . '::' . $m[1]->getName(), $methods));
    }

    /** The harness itself: each way a child can go wrong is reported, with the call, and the batch goes on. */
    public function testTheHarnessCatchesCrashesPanicsAndHangs(): void
    {
        $what = ['fine', 'SIGSEGV', 'fine', 'SIGABRT', 'panic text', 'fatal error', 'exit 3', 'stray output', 'hang', 'crash at shutdown', 'fine'];
        $cases = [];
        $fine = [];
        foreach ($what as $check) {
            if ($check === 'fine') {
                $fine[] = $this->nextId;
            }
            $cases[$this->nextId++] = ['label' => "self-check: $check", 'call' => ['harness', $check], 'args' => []];
        }
        $runner = new HostileRunner('bare', $this->bareSetup(), $this->ini(), silence: 1.5);
        $runner->run([$cases]);

        $problems = [];
        foreach ($runner->failures() as $failure) {
            $problems[$failure['case']][] = $failure['problem'];
        }
        $expect = [
            // A call that kills the child is run again alone, and does it again.
            'SIGSEGV' => 'killed by signal 11 (SIGSEGV) (also when run alone)',
            'SIGABRT' => 'killed by signal 6 (SIGABRT) (also when run alone)',
            'panic text' => "stderr: thread 'main' panicked",
            'fatal error' => 'exited with status 255 (also when run alone); stderr: Fatal error: Allowed memory size',
            'exit 3' => 'exited with status 3',
            'stray output' => 'printed on stdout: something the extension printed',
            'hang' => 'hung (no output for 2 s), killed',
            // Its batch is reported, then each of its calls is run alone to find the culprit.
            'crash at shutdown' => 'killed by signal 11 (SIGSEGV) after its last call (at shutdown)',
        ];
        foreach ($expect as $check => $problem) {
            $this->assertStringContainsString($problem, implode("\n", $problems["self-check: $check"] ?? ['(not reported)']), $check);
        }
        $this->assertArrayNotHasKey('self-check: fine', $problems);
        $this->assertArrayHasKey('a batch of 2 calls, the first: self-check: crash at shutdown', $problems);
        foreach ($fine as $id) {
            $this->assertSame('a normal return', $runner->results()[$id]['value'] ?? null, 'every call after a crash still ran');
        }
    }

    public function testEveryFunctionAndMethodSurvivesHostileArgumentsWithoutWhmcs(): void
    {
        if (!self::modeWanted('bare')) {
            $this->markTestSkipped('HOSTILE_MODES leaves out bare');
        }
        [$functions, $classes, $methods] = self::api();
        $batches = [];
        foreach ($functions as $function) {
            $batches[] = $this->hostileCalls(['function', $function->getName()], $function->getName(), $function->getParameters(), $this->bareBaseline(...));
        }
        foreach ($methods as [$class, $method]) {
            $batches = [...$batches, ...$this->methodBatches($class, $method, live: false)];
        }
        foreach ($classes as $class) {
            $batches[] = $this->objectCalls($class, live: false);
        }
        // The connection-refused path, with its retries: a few calls only (each waits ~1 s).
        foreach (['organizations', 'dataCenters'] as $name) {
            $batches[] = [$this->nextId++ => ['label' => "(ApiClient on a closed port)->$name()", 'call' => ['method', 'Katapult\ApiClient (closed port)', $name], 'args' => []]];
        }
        $this->runAndAssert('bare', $this->bareSetup(), [], $batches);
    }

    public function testTheModuleSurvivesHostileValuesInEveryFieldWhmcsPasses(): void
    {
        if (!self::modeWanted('whmcs')) {
            $this->markTestSkipped('HOSTILE_MODES leaves out whmcs');
        }
        $template = sys_get_temp_dir() . '/katapult-hostile-whmcs-' . getmypid() . '.sqlite';
        $setup = $this->prepareWhmcs($template);
        try {
            [$functions, , $methods] = self::api();
            $batches = [];
            foreach ($functions as $function) {
                $batches = [...$batches, ...$this->whmcsFunctionBatches($function)];
            }
            // The API client needs no WHMCS (the bare run covers it); these read WHMCS's data.
            $whmcsClasses = ['Katapult\VirtualMachineService', self::VM_CLASS];
            foreach ($methods as [$class, $method]) {
                if (in_array($class, $whmcsClasses, true)) {
                    $batches = [...$batches, ...$this->methodBatches($class, $method, live: true)];
                }
            }
            $batches[] = $this->objectCalls(new ReflectionClass(self::VM_CLASS), live: true);
            $jobEnv = fn (int $number, string $dir) => ['WHMCS_DB_DSN' => "sqlite:$dir/whmcs-$number.sqlite", 'WHMCS_ROOTDIR' => "$dir/root-$number"];
            $this->runAndAssert('whmcs', $setup, ['KATAPULT_API_URL' => self::$sim->baseUrl], $batches, $jobEnv);
        } finally {
            foreach (['', '-wal', '-shm'] as $suffix) {
                @unlink($template . $suffix);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // What is called
    // ---------------------------------------------------------------------------------------

    /** @return array{0: list<ReflectionFunction>, 1: list<ReflectionClass>, 2: list<array{0: string, 1: ReflectionMethod}>} methods as [class, method] */
    private static function api(): array
    {
        $extension = new ReflectionExtension('katapult');
        $functions = array_values($extension->getFunctions());
        $classes = array_values($extension->getClasses());
        $methods = [];
        foreach ($classes as $class) {
            foreach ($class->getMethods() as $method) {
                // The class's own methods, and every constructor (an inherited one too:
                // `new ApiException(...)` is part of what the extension offers).
                if ($method->class === $class->getName() || $method->isConstructor()) {
                    $methods[] = [$class->getName(), $method];
                }
            }
        }
        return [$functions, $classes, $methods];
    }

    /** @return list<array<int, array>> the calls of one method or constructor, as batches */
    private function methodBatches(string $owner, ReflectionMethod $method, bool $live): array
    {
        $name = $method->getName();
        $baseline = $live ? $this->whmcsBaseline(...) : $this->bareBaseline(...);
        if ($method->isConstructor()) {
            return [$this->hostileCalls(['new', $owner], "new $owner", $method->getParameters(), $baseline, $live ? HostileValues::FIELD_SET : null)];
        }
        if ($method->isStatic()) {
            return [$this->hostileCalls(['static', $owner, $name], "$owner::$name", $method->getParameters(), $baseline)];
        }
        $isVm = $owner === self::VM_CLASS;
        // Without WHMCS there is no live VM to call: its methods get an object PHP made without
        // the constructor, like the other classes below.
        $receiver = $isVm && !$live ? "uninitialized $owner" : $owner;
        $batches = [$this->hostileCalls(['method', $receiver, $name], "($receiver)->$name", $method->getParameters(), $baseline)];
        if (!$live) {
            // Objects whose Rust half was never made: by reflection, and by a PHP subclass whose
            // constructor does not call the extension's.
            $odd = ["uninitialized $owner"];
            if (!(new ReflectionClass($owner))->isFinal()) {
                $odd[] = "subclass without parent constructor $owner";
            }
            $batch = [];
            foreach ($odd as $receiver) {
                $args = array_map(fn (ReflectionParameter $p) => $baseline($p), array_filter($method->getParameters(), fn ($p) => !$p->isOptional()));
                $batch[$this->nextId++] = ['label' => "($receiver)->$name(" . self::describeArgs($args) . ')', 'call' => ['method', $receiver, $name], 'args' => array_values($args)];
            }
            $batches[] = $batch;
        }
        return $batches;
    }

    /**
     * The object operations on each kind of instance of a class: a live one (when there can be
     * one: the VM only inside WHMCS), one PHP made without the constructor, and one of a PHP
     * subclass that skipped it. Also the constructor called again on those objects.
     *
     * @return array<int, array> id => case
     */
    private function objectCalls(ReflectionClass $class, bool $live): array
    {
        $name = $class->getName();
        $receivers = $name !== self::VM_CLASS || $live ? [$name] : [];
        if (!$live) {
            $receivers[] = "uninitialized $name";
            if (!$class->isFinal()) {
                $receivers[] = "subclass without parent constructor $name";
            }
        }
        $constructor = $class->getConstructor();
        $cases = [];
        foreach ($receivers as $receiver) {
            foreach (self::OBJECT_OPERATIONS as $operation) {
                $cases[$this->nextId++] = ['label' => "$operation on ($receiver)", 'call' => ['object', $receiver, $operation], 'args' => []];
            }
            if ($constructor !== null && $constructor->isPublic()) {
                $args = array_map($this->bareBaseline(...), $constructor->getParameters());
                $cases[$this->nextId++] = ['label' => "($receiver)->__construct(" . self::describeArgs($args) . ') again', 'call' => ['method', $receiver, '__construct'], 'args' => $args];
            }
        }
        return $cases;
    }

    /**
     * One batch of calls to one function or method: every parameter in turn gets every hostile
     * value (the parameters before it get ordinary values), plus too few, too many and unknown
     * named arguments.
     *
     * @param list<ReflectionParameter> $parameters
     * @param \Closure(ReflectionParameter): array $baseline an ordinary argument for a parameter
     * @param list<string>|null $values the hostile values (default: all)
     * @return array<int, array> id => case
     */
    private function hostileCalls(array $call, string $name, array $parameters, \Closure $baseline, ?array $values = null): array
    {
        $values ??= self::values();
        $ordinary = array_map($baseline, $parameters);
        $required = count(array_filter($parameters, fn (ReflectionParameter $p) => !$p->isOptional()));
        $argLists = [$ordinary];
        // Too few: none at all, and one short; optional ones left out.
        if ($required > 0) {
            $argLists[] = [];
        }
        if ($required > 1) {
            $argLists[] = array_slice($ordinary, 0, $required - 1);
        }
        if ($required < count($parameters)) {
            $argLists[] = array_slice($ordinary, 0, $required);
        }
        // Too many.
        $argLists[] = [...$ordinary, ['value', 'stdClass']];
        $argLists[] = [...$ordinary, ['value', 'null'], ['value', '16 MB string'], ['value', 'closure']];
        foreach ($parameters as $index => $parameter) {
            foreach ($values as $value) {
                $argLists[] = [...array_slice($ordinary, 0, $index), ['value', $value]];
            }
        }
        $cases = [];
        foreach ($argLists as $args) {
            $cases[$this->nextId++] = ['label' => "$name(" . self::describeArgs($args, $parameters) . ')', 'call' => $call, 'args' => $args];
        }
        // Named arguments: one that does not exist, and a real one given twice.
        $cases[$this->nextId++] = ['label' => "$name(..., no_such_parameter: 1)", 'call' => $call, 'args' => $ordinary, 'named' => ['no_such_parameter' => ['literal', 1]]];
        if ($parameters !== []) {
            $first = $parameters[0]->getName();
            $cases[$this->nextId++] = ['label' => "$name(..., $first: <NAN>) (given twice)", 'call' => $call, 'args' => $ordinary, 'named' => [$first => ['value', 'NAN']]];
        }
        return $cases;
    }

    /** An ordinary argument without WHMCS: what the type asks for. */
    private function bareBaseline(ReflectionParameter $parameter): array
    {
        $byName = ['token' => 'sim-token', 'api_url' => self::$sim->baseUrl, 'action' => 'start', 'service_id' => 1, 'client_id' => 1, 'message' => 'm', 'code' => 0];
        if (array_key_exists($parameter->getName(), $byName)) {
            return ['literal', $byName[$parameter->getName()]];
        }
        $type = $parameter->getType();
        return ['literal', match ($type instanceof ReflectionNamedType ? $type->getName() : 'mixed') {
            'int' => 1,
            'float' => 1.0,
            'bool' => true,
            'array' => [],
            'string', 'mixed' => 'x',
            default => null,
        }];
    }

    /** An ordinary argument inside WHMCS: the arrays WHMCS would pass. */
    private function whmcsBaseline(ReflectionParameter $parameter): array
    {
        $function = $parameter->getDeclaringFunction()->getName();
        return match ($parameter->getName()) {
            'params' => ['fixture', 'service params'],
            'client' => ['fixture', 'client request'],
            'vars' => ['fixture', str_ends_with($function, 'emailPreSend') ? 'email vars' : 'product vars'],
            'post' => ['fixture', 'settings post'],
            'name' => ['literal', 'hostname'],
            default => $this->bareBaseline($parameter),
        };
    }

    /** @return list<array<int, array>> a module function inside WHMCS: whole arguments, then each field of its arrays */
    private function whmcsFunctionBatches(ReflectionFunction $function): array
    {
        $name = $function->getName();
        $parameters = $function->getParameters();
        $batches = [$this->hostileCalls(['function', $name], $name, $parameters, $this->whmcsBaseline(...), HostileValues::FIELD_SET)];
        $ordinary = array_map($this->whmcsBaseline(...), $parameters);
        foreach ($ordinary as $index => $spec) {
            // An optional array (the loaders' $params: WHMCS passes the product's, and they do
            // not read it) gets whole values only; field by field costs an API call each.
            if ($spec[0] !== 'fixture' || $parameters[$index]->isOptional()) {
                continue;
            }
            $batch = [];
            $add = function (array $changed, string $what) use (&$batch, $name, $ordinary, $index, $parameters): void {
                $args = $ordinary;
                $args[$index] = $changed;
                $batch[$this->nextId++] = ['label' => "$name(" . self::describeArgs($args, $parameters) . ") [$what]", 'call' => ['function', $name], 'args' => $args];
            };
            foreach (self::FIXTURE_FIELDS[$spec[1]] as $field) {
                foreach (HostileValues::FIELD_SET as $value) {
                    $add(['fixture', $spec[1], [$field => ['value', $value]]], "$field = <$value>");
                }
            }
            foreach (self::EXTRA_KEYS as $extra) {
                $add(['fixture', $spec[1], [], ['value', $extra]], "+ <$extra>");
            }
            // In chunks, so that the children share the work (one child per function would be
            // the last to finish by far).
            foreach (array_chunk($batch, 150, true) as $chunk) {
                $batches[] = $chunk;
            }
        }
        return $batches;
    }

    // ---------------------------------------------------------------------------------------
    // Running and reporting
    // ---------------------------------------------------------------------------------------

    /** @param list<array<int, array>> $batches */
    private function runAndAssert(string $mode, array $setup, array $env, array $batches, ?\Closure $jobEnv = null): void
    {
        $prefix = array_values(array_filter(explode(' ', (string) getenv('HOSTILE_CHILD_PREFIX'))));
        $wrapperExit = getenv('HOSTILE_WRAPPER_EXIT');
        $runner = new HostileRunner(
            $mode,
            $setup,
            $this->ini(),
            $env,
            $jobEnv,
            // Many calls wait on the API's retry back-off rather than use a core.
            parallel: (int) (getenv('HOSTILE_PARALLEL') ?: 4),
            prefix: $prefix,
            // Under valgrind a single call can take many seconds.
            silence: $prefix === [] ? 20.0 : 300.0,
            wrapperExit: $wrapperExit === false ? null : (int) $wrapperExit,
            keepStderr: getenv('HOSTILE_KEEP_STDERR') ?: null,
        );
        $started = microtime(true);
        $runner->run(self::regroup($batches, (int) getenv('HOSTILE_CHILDREN')));
        $results = $runner->results();
        $calls = array_sum(array_map('count', $batches));
        $outcomes = array_count_values(array_map(fn (array $r) => $r['outcome'] === 'throw' ? $r['class'] : 'returned ' . ($r['type'] ?? '?'), $results));
        arsort($outcomes);
        // PHP's own notices (a dynamic property made, unserialize() refusing) are shown, not failed.
        $warnings = array_merge(...array_map(fn (array $r) => $r['warnings'] ?? [], array_values($results)));
        fwrite(STDERR, sprintf(
            "\nHostileInputTest [%s]: %d calls in %d child processes, %.1f s; %d reported back; outcomes: %s; PHP warnings: %d%s\n",
            $mode,
            $calls,
            $runner->childrenStarted(),
            microtime(true) - $started,
            count($results),
            implode(', ', array_map(fn ($k, $v) => "$k $v", array_keys($outcomes), $outcomes)),
            count($warnings),
            $warnings === [] ? '' : ' (' . implode('; ', array_slice(array_unique($warnings), 0, 5)) . ')'
        ));

        // The same fault usually shows in many calls: grouped by its first line, a few calls each.
        $groups = [];
        foreach ($runner->failures() as $failure) {
            $groups[strtok($failure['problem'], "\n")][] = $failure;
        }
        $report = [];
        foreach ($groups as $group) {
            $report[] = sprintf("%d call(s): %s\n%s", count($group), $group[0]['problem'], implode("\n", array_map(
                fn (array $f) => "  - {$f['case']}",
                array_slice($group, 0, 8)
            )) . (count($group) > 8 ? "\n  - …" : ''));
        }
        $this->assertTrue($groups === [], sprintf("%d of %d hostile calls went wrong:\n\n%s", count($runner->failures()), $calls, implode("\n\n", $report)));
        // A child that reported nothing would otherwise pass: every call must have reported.
        $this->assertCount($calls, $results, 'every call reported back');
    }

    /**
     * The batches merged into $children batches (0: as they are). Under valgrind a PHP start costs
     * seconds, so there the calls go to a few children only.
     *
     * @param list<array<int, array>> $batches
     * @return list<array<int, array>>
     */
    private static function regroup(array $batches, int $children): array
    {
        if ($children <= 0 || $children >= count($batches)) {
            return $batches;
        }
        $merged = array_fill(0, $children, []);
        foreach ($batches as $i => $batch) {
            $merged[$i % $children] += $batch;
        }
        return $merged;
    }

    /** @return list<string> the hostile values for whole arguments: HOSTILE_VALUES=field gives the smaller set */
    private static function values(): array
    {
        return getenv('HOSTILE_VALUES') === 'field' ? HostileValues::FIELD_SET : HostileValues::names();
    }

    /** @return array<string, string> the children's INI settings */
    private function ini(): array
    {
        return [
            'display_errors' => 'stderr',
            'log_errors' => '0',
            'error_reporting' => '-1',
            'memory_limit' => '-1',
            'katapult.api_url' => self::$sim->baseUrl,
            'katapult.timeout' => '3',
            'katapult.connect_timeout' => '1',
            'katapult.suspend_grace' => '0.2',
        ] + (getenv('HOSTILE_CHILD_PREFIX') ? [
            // Under valgrind: PCRE's JIT code reads past string ends on purpose (it knows the
            // allocation is large enough), which memcheck reports as invalid reads.
            'pcre.jit' => '0',
        ] : []);
    }

    private function bareSetup(): array
    {
        return ['api_url' => self::$sim->baseUrl];
    }

    private static function modeWanted(string $mode): bool
    {
        $modes = getenv('HOSTILE_MODES');
        return $modes === false || $modes === '' || in_array($mode, preg_split('/[\s,]+/', $modes), true);
    }

    /**
     * A WHMCS database (SQLite, made by a child process with the stand-in) with a Katapult product
     * whose API key is set, and two services with built VMs: one for the module functions, one
     * for the VM object's methods. Each child of the run works on its own copy.
     */
    private function prepareWhmcs(string $template): array
    {
        $root = dirname(__DIR__, 2);
        $setup = [
            'database' => $template,
            'whmcs_bootstrap' => "$root/tests/whmcs/bootstrap.php",
            'module_dir' => "$root/module",
            'api_url' => self::$sim->baseUrl,
        ];
        $rootDir = sys_get_temp_dir() . '/katapult-hostile-root-' . getmypid();
        $code = <<<'PHP'
            [, $bootstrap, $moduleDir] = $argv;
            require $bootstrap;
            WhmcsStandIn\Module::load($moduleDir);
            WhmcsStandIn\Environment::reset();
            $product = (int) WhmcsStandIn\Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
            $_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
            run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
            $_POST = [];
            WhmcsStandIn\Fixtures::server();
            $client = (int) WhmcsStandIn\Fixtures::client()->id;
            $services = [];
            foreach (['hostile.example.com', 'vm.example.com'] as $domain) {
                $service = (int) WhmcsStandIn\Fixtures::service($client, $product, ['domain' => $domain])->id;
                $created = WhmcsStandIn\Module::runModuleCommand('CreateAccount', $service);
                if ($created !== 'success') {
                    throw new RuntimeException("CreateAccount: $created");
                }
                $services[] = $service;
            }
            $deadline = microtime(true) + 30;
            $pending = fn () => array_filter($services, fn ($s) => WhmcsStandIn\SalmonDataStore::get('service', $s, 'vm_id') === null);
            while ($pending() !== [] && microtime(true) < $deadline) {
                WhmcsStandIn\Cron::run();
                usleep(50_000);
            }
            if ($pending() !== []) {
                throw new RuntimeException('the VMs were not built');
            }
            // Everything into the database file itself, so that a copy of the file is complete.
            WHMCS\Database\Capsule::connection()->getPdo()->exec('PRAGMA wal_checkpoint(TRUNCATE)');
            echo json_encode(['product' => $product, 'client' => $client, 'service' => $services[0], 'vm_service' => $services[1], 'vm_client' => $client]);
            PHP;
        $command = [PHP_BINARY, '-d', 'extension=' . Php::extensionPath(), '-d', 'display_errors=stderr', '-r', $code, '--', $setup['whmcs_bootstrap'], $setup['module_dir']];
        $env = ['PATH' => (string) getenv('PATH'), 'WHMCS_DB_DSN' => "sqlite:$template", 'WHMCS_ROOTDIR' => $rootDir, 'KATAPULT_API_URL' => self::$sim->baseUrl];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $stdout = (string) stream_get_contents($pipes[1]);
        $stderr = (string) stream_get_contents($pipes[2]);
        $status = proc_close($process);
        exec('rm -rf ' . escapeshellarg($rootDir));
        $ids = json_decode($stdout, true);
        $this->assertSame(0, $status, "preparing the WHMCS database failed: $stdout $stderr");
        $this->assertIsArray($ids, $stdout . $stderr);
        return $setup + $ids;
    }

    /** @param list<array> $args argument specs */
    private static function describeArgs(array $args, array $parameters = []): string
    {
        $parts = [];
        foreach (array_values($args) as $i => $spec) {
            $text = match ($spec[0]) {
                'value' => "<{$spec[1]}>",
                'literal' => is_array($spec[1]) ? '[]' : var_export($spec[1], true),
                'fixture' => "<{$spec[1]}>",
            };
            $parts[] = isset($parameters[$i]) ? '$' . $parameters[$i]->getName() . " = $text" : $text;
        }
        return implode(', ', $parts);
    }
}

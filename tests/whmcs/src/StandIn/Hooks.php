<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the hook registry behind add_hook()/run_hook().
 *
 * Mirrors WHMCS's hookfunctions: hooks live in the global `$hooks[$hookPoint]` as
 * ['priority', 'hook_function', 'rollback_function'] entries, sorted by ascending priority (lower
 * runs first; equal priorities keep registration order). run_hook() calls each callable with
 * `$vars` as its single argument, or, when the third argument is true, spreads `$vars` as the
 * argument list (`run_hook('KatapultVirtualMachineBuilt', [$service], true)` hands the model to
 * `function (VirtualMachine $s)`); it returns the list of the truthy results, in order, as WHMCS
 * does (falsy results are dropped). Exceptions from a hook propagate to the caller, as in WHMCS.
 * Every call is recorded in Hooks::$fired (stand-in only) so tests can see which points fired.
 * Simplification: no license check, no hooks debug logging, no rollback functions run.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

final class Hooks
{
    /** @var list<array{hook: string, vars: mixed}> hook points run so far (stand-in only) */
    public static array $fired = [];

    public static function add(string $hookPoint, int $priority, callable $function, $rollback = ''): void
    {
        if (!isset($GLOBALS['hooks']) || !is_array($GLOBALS['hooks'])) {
            $GLOBALS['hooks'] = [];
        }
        $GLOBALS['hooks'][$hookPoint][] = [
            'priority' => $priority, 'hook_function' => $function, 'rollback_function' => $rollback,
        ];
        // Stable sort: lower priority first, registration order among equals.
        $list = array_values($GLOBALS['hooks'][$hookPoint]);
        $keys = array_keys($list);
        array_multisort(array_column($list, 'priority'), SORT_ASC, $keys, SORT_ASC, $list);
        $GLOBALS['hooks'][$hookPoint] = $list;
    }

    /** @return list<mixed> */
    public static function run(string $hookPoint, $vars, bool $unpackArguments = false): array
    {
        self::$fired[] = ['hook' => $hookPoint, 'vars' => $vars];
        $results = [];
        foreach ($GLOBALS['hooks'][$hookPoint] ?? [] as $hook) {
            if (!is_callable($hook['hook_function']) || !Module::hookRuns($hookPoint, $hook)) {
                continue;
            }
            $result = $unpackArguments
                ? call_user_func_array($hook['hook_function'], (array) $vars)
                : call_user_func($hook['hook_function'], $vars);
            if ($result) {
                $results[] = $result;
            }
        }
        return $results;
    }

    /** @return list<string> names of the hook points fired since the last reset (stand-in only) */
    public static function firedNames(): array
    {
        return array_column(self::$fired, 'hook');
    }

    public static function reset(): void
    {
        $GLOBALS['hooks'] = [];
        self::$fired = [];
    }
}

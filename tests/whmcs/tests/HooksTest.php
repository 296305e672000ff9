<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WHMCS\Module\Server\Katapult\WHMCS\Service\VirtualMachine;
use WhmcsStandIn\Fixtures;

final class HooksTest extends StandInTestCase
{
    public function testLowerPriorityRunsFirstAndEqualPrioritiesKeepOrder(): void
    {
        $order = [];
        add_hook('Custom', 10, function () use (&$order) { $order[] = 'ten'; });
        add_hook('Custom', 1, function () use (&$order) { $order[] = 'one-a'; });
        add_hook('Custom', 5, function () use (&$order) { $order[] = 'five'; });
        add_hook('Custom', 1, function () use (&$order) { $order[] = 'one-b'; });
        run_hook('Custom', []);
        $this->assertSame(['one-a', 'one-b', 'five', 'ten'], $order);
    }

    public function testVarsArePassedAsOneArrayAndTruthyResultsReturned(): void
    {
        add_hook('ClientAreaPage', 1, fn (array $vars) => ['seen' => $vars['templatefile']]);
        add_hook('ClientAreaPage', 2, fn (array $vars) => null);
        add_hook('ClientAreaPage', 3, fn (array $vars) => false);
        add_hook('ClientAreaPage', 4, fn (array $vars) => 'text');
        $this->assertSame([['seen' => 'clientareaproductdetails'], 'text'], run_hook('ClientAreaPage', ['templatefile' => 'clientareaproductdetails']));
        $this->assertSame([], run_hook('NobodyListens', []));
    }

    public function testUnpackArgumentsHandsTheModelToTypedHooks(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product());
        $vm = VirtualMachine::findOrFail($service->id);
        $received = null;
        add_hook('KatapultVirtualMachineBuilt', 0, function (VirtualMachine $s) use (&$received) {
            $received = $s;
            return true;
        });
        $this->assertSame([true], run_hook('KatapultVirtualMachineBuilt', [$vm], true));
        $this->assertSame($vm, $received);
    }

    public function testHookExceptionsReachTheCaller(): void
    {
        add_hook('Boom', 1, function () { throw new \DomainException('hook failed'); });
        $this->expectException(\DomainException::class);
        run_hook('Boom', []);
    }

    public function testModuleHooksSurviveAReset(): void
    {
        $this->assertNotEmpty($GLOBALS['hooks']['AfterCronJob']);
        \WhmcsStandIn\Environment::reset();
        $this->assertCount(1, $GLOBALS['hooks']['AfterCronJob']);
    }

    /** README fact 18. */
    public function testFact18ThereIsNoRemoveHookNorGetRegisteredHooks(): void
    {
        $this->assertFalse(function_exists('remove_hook'));
        $this->assertFalse(function_exists('get_registered_hooks'));
        $this->assertTrue(function_exists('add_hook') && function_exists('run_hook'));
    }
}

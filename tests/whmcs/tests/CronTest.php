<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WhmcsStandIn\Cron;
use WhmcsStandIn\Fixtures;

final class CronTest extends StandInTestCase
{
    public function testEveryRunFiresAfterCronJob(): void
    {
        Fixtures::product(); // a product uses the module, so WHMCS loads its hooks.php
        $this->assertSame(['AfterCronJob'], Cron::run());
        $this->assertSame(['AfterCronJob'], Cron::run());
        $this->assertSame(['AfterCronJob', 'AfterCronJob'], $this->moduleCalls());
    }

    public function testDailyRunOrder(): void
    {
        Fixtures::product();
        Fixtures::server(['password' => 'pw']);
        Fixtures::server(['type' => 'cpanel']);
        $this->assertSame(['PreCronJob', 'DailyCronJob', 'AfterCronJob'], Cron::run(daily: true));
        $this->assertSame(['PreCronJob', 'UsageUpdate', 'DailyCronJob', 'AfterCronJob'], $this->moduleCalls());
        $this->assertSame('pw', $GLOBALS['fixture_module_calls'][1]['params']['serverpassword']);
    }

    public function testCronCliRunsTheModuleHooksOnTheSameDatabase(): void
    {
        $cmd = sprintf('%s %s --daily --module=%s 2>&1', PHP_BINARY, escapeshellarg(dirname(__DIR__) . '/cron.php'), escapeshellarg(self::FIXTURE_MODULE));
        exec($cmd, $out, $code);
        $this->assertSame(0, $code, implode("\n", $out));
        $this->assertSame(['cron: PreCronJob, DailyCronJob, AfterCronJob'], $out);
    }
}

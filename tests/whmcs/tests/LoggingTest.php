<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\ModuleLog;
use WhmcsStandIn\Session;

final class LoggingTest extends StandInTestCase
{
    public function testLogActivityAsSystem(): void
    {
        logActivity('[Katapult]: Syncing VM builds completed');
        logActivity('[Service ID: 5]: VM started', 42);
        $rows = ActivityLog::entries();
        $this->assertCount(2, $rows);
        $this->assertSame('[Katapult]: Syncing VM builds completed', $rows[0]->description);
        $this->assertSame('System', $rows[0]->user);
        $this->assertSame(0, (int) $rows[0]->userid);
        $this->assertSame(42, (int) $rows[1]->userid);
        $this->assertMatchesRegularExpression('/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/', (string) $rows[0]->date);
        $this->assertSame(0, (int) $rows[0]->admin_id);
    }

    public function testLogActivityUserFollowsTheSession(): void
    {
        $adminId = Fixtures::admin('alice');
        Session::asAdmin($adminId);
        logActivity('by admin');
        Session::asClient(7);
        logActivity('by client');
        Session::asClient(7, 3);
        logActivity('by contact');
        Session::asSystem();
        logActivity('by cron');

        $rows = ActivityLog::entries();
        $this->assertSame(['alice', 'Client', 'Sub-Account 3', 'System'], array_map(fn ($r) => $r->user, $rows));
        $this->assertSame($adminId, (int) $rows[0]->admin_id);
        $this->assertSame(7, (int) $rows[1]->user_id);
    }

    public function testLogActivityRedactsPasswordsAndFiresTheHook(): void
    {
        $seen = [];
        add_hook('LogActivity', 1, function (array $vars) use (&$seen) {
            $seen[] = $vars['description'];
        });
        // WHMCS's pattern is greedy: everything up to the last "'," or "' " is redacted.
        logActivity("UPDATE tblhosting SET password`='hunter2', domain`='x.example' WHERE id=1");
        $this->assertSame("UPDATE tblhosting SET password`='--REDACTED--' WHERE id=1", ActivityLog::descriptions()[0]);
        $this->assertSame(ActivityLog::descriptions(), $seen);
    }

    public function testModuleLogWritesNothingUntilDebugLoggingIsOn(): void
    {
        $this->assertFalse(logModuleCall('katapult', 'GET /organizations', 'req', 'resp'));
        $this->assertSame([], ModuleLog::entries());
        ModuleLog::enable();
        logModuleCall('katapult', 'GET /organizations', 'req', 'resp');
        $this->assertCount(1, ModuleLog::entries());
        ModuleLog::disable();
        logModuleCall('katapult', 'GET /organizations', 'req', 'resp');
        $this->assertCount(1, ModuleLog::entries());
    }

    public function testModuleLogScrubsReplaceVarsEverywhere(): void
    {
        ModuleLog::enable();
        $key = 'kpk_SECRETSECRET';
        logModuleCall(
            'Katapult',
            'GET /virtual_machines',
            "GET /core/v1/virtual_machines\nAuthorization: Bearer $key",
            ['echo' => "token $key", 'ok' => true],
            (object) ['key' => $key],
            [$key, '']
        );
        $row = ModuleLog::entries()[0];
        $this->assertSame('katapult', $row->module);
        $this->assertSame('get /virtual_machines', $row->action);
        $stars = str_repeat('*', strlen($key));
        $this->assertStringContainsString("Bearer $stars", $row->request);
        $this->assertStringContainsString('Array', $row->response);
        $this->assertStringContainsString("[echo] => token $stars", $row->response);
        $this->assertStringContainsString("[key] => $stars", $row->arrdata);
        foreach ([$row->request, $row->response, $row->arrdata] as $text) {
            $this->assertStringNotContainsString($key, $text);
        }
    }

    public function testModuleLogNeedsAModuleAndNamesAnUnknownAction(): void
    {
        ModuleLog::enable();
        $this->assertFalse(logModuleCall('', 'x', 'a', 'b'));
        logModuleCall('katapult', '', 'a', 'b');
        $this->assertSame('unknown', ModuleLog::entries()[0]->action);
    }
}

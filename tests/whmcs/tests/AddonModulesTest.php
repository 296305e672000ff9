<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WHMCS\Database\Capsule;
use WhmcsStandIn\AddonModules;
use WhmcsStandIn\Hooks;

/** The addon module loader and the dashboard widget class, with the test-only probe addon. */
final class AddonModulesTest extends StandInTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        @mkdir(ROOTDIR . '/modules/addons', 0777, true);
        if (!is_link(ROOTDIR . '/modules/addons/probe')) {
            symlink(__DIR__ . '/fixtures/addons/probe', ROOTDIR . '/modules/addons/probe');
        }
    }

    public function testAnAddonRunsOnlyOnceActivatedForTheAdminsRoleWithTheDocumentedVars(): void
    {
        $this->assertNull(AddonModules::output('probe', 1), 'not active yet');

        $this->assertSame(['status' => 'success', 'description' => 'The probe is ready.'], AddonModules::activate('probe', 1));
        $this->assertSame(['probe'], AddonModules::active());
        $this->assertSame(['version' => '1.2', 'access' => '1', 'greeting' => 'Hello from the probe'],
            Capsule::table('tbladdonmodules')->where('module', 'probe')->pluck('value', 'setting')->all());
        $this->assertNull(AddonModules::output('probe', 2), 'a role without access');

        $_SESSION['adminid'] = 7;
        $page = AddonModules::output('probe', 1, 'german');
        $this->assertSame('Stand-in Probe', $page['title']);
        $this->assertStringContainsString('<dd class="col-9" id="probe-modulelink">addonmodules.php?module=probe</dd>', $page['output']);
        $this->assertStringContainsString('id="probe-version">1.2<', $page['output']);
        $this->assertStringContainsString('id="probe-lang">The probe speaks English.<', $page['output'], 'no german.php: the config\'s language');
        $this->assertStringContainsString('id="probe-admin">7<', $page['output']);
        $this->assertStringContainsString('Probe sidebar', $page['sidebar']);

        AddonModules::deactivate('probe');
        $this->assertSame([], AddonModules::active());
        $this->assertNull(AddonModules::output('probe', 1));
    }

    public function testAnActiveAddonsHooksGiveTheDashboardItsWidget(): void
    {
        AddonModules::activate('probe', 1);
        AddonModules::loadActiveHooks();
        \WhmcsStandIn\Fixtures::service(\WhmcsStandIn\Fixtures::client(), \WhmcsStandIn\Fixtures::product());
        $widgets = Hooks::run('AdminHomeWidgets', []);
        $this->assertCount(1, $widgets);
        $widget = $widgets[0];
        $this->assertInstanceOf(\WHMCS\Module\AbstractWidget::class, $widget);
        $this->assertSame(['ProbeWidget', 'Probe Widget', 10, 1, true, false], [$widget->getId(), $widget->getTitle(), $widget->getWeight(), $widget->getColumnSize(), $widget->showWrapper(), $widget->isCachable()]);
        $this->assertStringContainsString('<strong id="probeWidgetCount">1</strong>', $widget->render());
    }
}

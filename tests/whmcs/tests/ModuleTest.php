<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WHMCS\Service\Service;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Hooks;
use WhmcsStandIn\Mailer;
use WhmcsStandIn\Module;

final class ModuleTest extends StandInTestCase
{
    public function testNoParamsFunctionsAndLibAutoload(): void
    {
        $this->assertSame('Katapult (fixture)', Module::callNoParams('MetaData')['DisplayName']);
        $this->assertArrayHasKey('Package', Module::callNoParams('ConfigOptions'));
        $this->assertTrue(class_exists(\WHMCS\Module\Server\Katapult\Recorder::class));
        $this->assertTrue(Module::has('CreateAccount'));
        $this->assertFalse(Module::has('ChangePackage'));
    }

    public function testParamsAreBuiltAsWhmcsBuildsThem(): void
    {
        $serverId = Fixtures::server(['hostname' => 'api.katapult.test', 'username' => 'u', 'password' => 'server-pass', 'port' => 8443]);
        $client = Fixtures::client(['firstname' => 'Ada', 'lastname' => 'Lovelace', 'companyname' => 'Engines Ltd', 'country' => 'GB']);
        $product = Fixtures::product(['configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01']);
        $service = Fixtures::service($client, $product, ['domain' => 'web1.example.test', 'username' => 'root', 'password' => 'Plain1234x']);
        $dc = Fixtures::configurableOption($product, 'Data Center|Where', ['uk-lon-01|London', 'nl-ams-01|Amsterdam']);
        $disk = Fixtures::configurableOption($product, 'Custom Disk Size (GB)', [], 4, ['qtyminimum' => 10, 'qtymaximum' => 500]);
        Fixtures::configurableOption($product, 'Disk Template', ['templates/ubuntu-22-04|Ubuntu']);
        Fixtures::chooseOption($service, $dc, 'nl-ams-01');
        Fixtures::chooseOption($service, $disk, 40);
        Fixtures::customField($product, 'ssh_key|SSH Public Key', $service, 'ssh-ed25519 AAAA');
        Fixtures::customField($product, 'Notes');

        $params = Module::buildParams((int) $service->id);

        $this->assertSame((int) $service->id, $params['serviceid']);
        $this->assertSame((int) $client->id, $params['userid']);
        $this->assertSame((int) $product->id, $params['pid']);
        $this->assertSame($serverId, $params['serverid']);
        $this->assertSame('web1.example.test', $params['domain']);
        $this->assertSame('root', $params['username']);
        $this->assertSame('Plain1234x', $params['password']);
        $this->assertNotSame('Plain1234x', Service::find($service->id)->password, 'stored encrypted');
        $this->assertSame('server', $params['producttype']);
        $this->assertSame('katapult', $params['moduletype']);
        $this->assertSame('rock-3', $params['configoption1']);
        $this->assertSame('uk-lon-01', $params['configoption2']);
        $this->assertSame('', $params['configoption24']);
        $this->assertSame(['Data Center' => 'nl-ams-01', 'Custom Disk Size (GB)' => 40, 'Disk Template' => ''], $params['configoptions']);
        $this->assertSame(['ssh_key' => 'ssh-ed25519 AAAA', 'Notes' => ''], $params['customfields']);
        $this->assertSame('Ada', $params['clientsdetails']['firstname']);
        $this->assertSame('Ada Lovelace', $params['clientsdetails']['fullname']);
        $this->assertSame('Engines Ltd', $params['clientsdetails']['companyname']);
        $this->assertSame('GB', $params['clientsdetails']['countrycode']);
        $this->assertSame((int) $client->id, $params['clientsdetails']['userid']);
        $this->assertArrayNotHasKey('password', $params['clientsdetails']);
        $this->assertTrue($params['server']);
        $this->assertSame('api.katapult.test', $params['serverhostname']);
        $this->assertSame('server-pass', $params['serverpassword']);
        $this->assertTrue($params['serversecure']);
        $this->assertSame(8443, $params['serverport']);
        $this->assertInstanceOf(Service::class, $params['model']);
        $this->assertSame((int) $service->id, (int) $params['model']->id);
    }

    public function testCallPassesParamsAndExtra(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product());
        $this->assertSame('success', Module::call('CreateAccount', (int) $service->id, ['extra' => 'yes']));
        $params = $GLOBALS['fixture_module_calls'][0]['params'];
        $this->assertSame('yes', $params['extra']);
        $this->assertSame((int) $service->id, $params['serviceid']);
        $this->assertSame('Pending', Service::find($service->id)->domainstatus, 'a raw call has no side effects');
    }

    public function testCreateActivatesAndFiresHooksButSendsNoWelcomeEmail(): void
    {
        $template = Fixtures::emailTemplate('Katapult Welcome');
        $service = Fixtures::service(Fixtures::client(), Fixtures::product(['welcomeemail' => $template]));

        $this->assertSame('success', Module::runModuleCommand('CreateAccount', (int) $service->id));

        $this->assertSame('Active', Service::find($service->id)->domainstatus);
        $this->assertSame([], Mailer::sent(), 'README fact 5: the admin\'s Create button sends no welcome email');
        $this->assertSame(["Module Create Successful - Service ID: {$service->id}"], ActivityLog::descriptions());
        $this->assertSame(['PreModuleCreate', 'AfterModuleCreate'], array_values(array_filter(Hooks::firedNames(), fn ($h) => str_contains($h, 'Module'))));
    }

    public function testCreateWithoutWelcomeEmailSendsNothing(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product(['welcomeemail' => 0]));
        Module::runModuleCommand('CreateAccount', (int) $service->id);
        $this->assertSame([], Mailer::sent());
    }

    public function testFailedCreateKeepsStatusLogsAndFiresFailedHook(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product(['welcomeemail' => Fixtures::emailTemplate('W')]));
        $failure = null;
        add_hook('AfterModuleCreateFailed', 1, function (array $vars) use (&$failure) {
            $failure = $vars['failureResponseMessage'];
        });
        $GLOBALS['fixture_module_results']['CreateAccount'] = 'The VM build has failed';

        $this->assertSame('The VM build has failed', Module::runModuleCommand('CreateAccount', (int) $service->id));
        $this->assertSame('Pending', Service::find($service->id)->domainstatus);
        $this->assertSame('The VM build has failed', $failure);
        $this->assertSame(["Module Create Failed - Service ID: {$service->id} - Error: The VM build has failed"], ActivityLog::descriptions());
        $this->assertSame([], Mailer::sent());
    }

    public function testModuleExceptionBecomesTheErrorString(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product());
        $GLOBALS['fixture_module_results']['CreateAccount'] = new \RuntimeException('API unreachable');
        $this->assertSame('API unreachable', Module::runModuleCommand('CreateAccount', (int) $service->id));
    }

    public function testPreHookCanAbortOrOverrideParams(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product());
        add_hook('PreModuleCreate', 1, fn (array $vars) => ['domain' => 'overridden.example.test']);
        Module::runModuleCommand('CreateAccount', (int) $service->id);
        $this->assertSame('overridden.example.test', $GLOBALS['fixture_module_calls'][0]['params']['domain']);

        add_hook('PreModuleSuspend', 1, fn () => ['abortcmd' => true]);
        $this->assertSame('Function Aborted by Action Hook Code', Module::runModuleCommand('SuspendAccount', (int) $service->id));
        $this->assertSame('Active', Service::find($service->id)->domainstatus);
    }

    public function testLifecycleStatusChanges(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product());
        $id = (int) $service->id;
        $status = fn () => Service::find($id)->domainstatus;

        Module::runModuleCommand('CreateAccount', $id);
        $this->assertSame('Active', $status());
        Module::runModuleCommand('SuspendAccount', $id);
        $this->assertSame('Suspended', $status());
        $this->assertSame('', Service::find($id)->suspendreason, 'README fact 16: suspension for non-payment stores no reason');
        $this->assertSame('Overdue on Payment', $GLOBALS['fixture_module_calls'][1]['params']['suspendreason']);
        $this->assertSame('Active', $GLOBALS['fixture_module_calls'][1]['params']['status']);
        Module::runModuleCommand('UnsuspendAccount', $id);
        $this->assertSame('Active', $status());
        $this->assertSame('Suspended', $GLOBALS['fixture_module_calls'][2]['params']['status'], 'WHMCS calls Unsuspend while the service is still Suspended');
        Module::runModuleCommand('ChangePassword', $id, ['password' => 'NewPass123']);
        $this->assertSame('NewPass123', decrypt(Service::find($id)->password));
        Module::runModuleCommand('TerminateAccount', $id);
        $this->assertSame('Terminated', $status());
        $this->assertSame(date('Y-m-d'), Service::find($id)->termination_date);
        $this->assertSame('Function Not Supported by Module', Module::runModuleCommand('ChangePackage', $id));
    }
}

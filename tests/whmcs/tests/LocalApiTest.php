<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WHMCS\Service\Service;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Mailer;

final class LocalApiTest extends StandInTestCase
{
    public function testEncryptAndDecryptPassword(): void
    {
        $enc = localAPI('EncryptPassword', ['password2' => 's3cret']);
        $this->assertSame('success', $enc['result']);
        $this->assertSame('s3cret', decrypt($enc['password']));
        $this->assertSame(['result' => 'success', 'password' => 's3cret'], localAPI('DecryptPassword', ['password2' => $enc['password']]));
    }

    public function testSendEmailRecordsTemplateRelidAndCustomVars(): void
    {
        Fixtures::emailTemplate('Katapult VM Ready', ['subject' => 'Your server {$service_domain}', 'message' => 'IP {$vm_ip} for {$client_first_name}']);
        $client = Fixtures::client(['firstname' => 'Linus', 'email' => 'linus@example.test']);
        $service = Fixtures::service($client, Fixtures::product(), ['domain' => 'box.example.test']);

        $result = localAPI('SendEmail', ['messagename' => 'Katapult VM Ready', 'id' => $service->id,
            'customvars' => base64_encode(serialize(['vm_ip' => '203.0.113.9']))]);
        $this->assertSame(['result' => 'success'], $result);

        $sent = Mailer::sent();
        $this->assertCount(1, $sent);
        $this->assertSame('Katapult VM Ready', $sent[0]['template']);
        $this->assertSame((int) $service->id, $sent[0]['relid']);
        $this->assertSame((int) $client->id, $sent[0]['userid']);
        $this->assertSame('203.0.113.9', $sent[0]['mergefields']['vm_ip']);
        $this->assertSame('Your server box.example.test', $sent[0]['subject']);
        $this->assertSame('IP 203.0.113.9 for Linus', $sent[0]['message']);
        $this->assertSame('linus@example.test', $sent[0]['to']);

        localAPI('SendEmail', ['messagename' => 'Katapult VM Ready', 'id' => $service->id, 'customvars' => ['vm_ip' => '198.51.100.1']]);
        $this->assertSame('198.51.100.1', Mailer::sent()[1]['mergefields']['vm_ip']);
    }

    public function testSendEmailErrors(): void
    {
        $this->assertSame(['result' => 'error', 'message' => 'Email Template not found'], localAPI('SendEmail', ['messagename' => 'Nope', 'id' => 1]));
        $this->assertSame('error', localAPI('SendEmail', ['id' => 1])['result']);
        $this->assertSame([], Mailer::sent());
    }

    public function testSendMessageAndEmailPreSendHook(): void
    {
        Fixtures::emailTemplate('Hello');
        $service = Fixtures::service(Fixtures::client(), Fixtures::product());
        add_hook('EmailPreSend', 1, fn (array $vars) => $vars['messagename'] === 'Hello' ? ['extra_field' => 'added'] : null);
        $this->assertTrue(sendMessage('Hello', $service->id, ['custom' => 'x']));
        $this->assertSame('added', Mailer::sent()[0]['mergefields']['extra_field']);
        $this->assertSame('x', Mailer::sent()[0]['mergefields']['custom']);

        add_hook('EmailPreSend', 2, fn () => ['abortsend' => true]);
        $this->assertFalse(sendMessage('Hello', $service->id));
        $this->assertFalse(sendMessage('Missing Template', $service->id));
        $this->assertContains('EMAILERROR: Email Template Missing Template Not Found', ActivityLog::descriptions());
        $this->assertCount(1, Mailer::sent());
    }

    public function testModuleCreateRunsTheModuleAndActivatesTheService(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product());
        $this->assertSame(['result' => 'success'], localAPI('ModuleCreate', ['serviceid' => $service->id]));
        $this->assertSame(['CreateAccount'], $this->moduleCalls());
        $this->assertSame('Active', Service::find($service->id)->domainstatus);
        $this->assertSame('Local API User', ActivityLog::entries()[0]->user);
    }

    public function testModuleCreateErrors(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product());
        $GLOBALS['fixture_module_results']['CreateAccount'] = 'Create Account: no data center chosen';
        $this->assertSame(['result' => 'error', 'message' => 'Create Account: no data center chosen'],
            localAPI('ModuleCreate', ['serviceid' => $service->id]));
        $this->assertSame('Pending', Service::find($service->id)->domainstatus);
        $this->assertSame(['result' => 'error', 'message' => 'Service ID not found'], localAPI('ModuleCreate', ['serviceid' => 999]));
        $this->assertSame(['result' => 'error', 'message' => 'Command Not Found'], localAPI('NoSuchCommand', []));
    }

    public function testOtherModuleCommands(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product(), ['domainstatus' => 'Active']);
        $this->assertSame('success', localAPI('ModuleSuspend', ['serviceid' => $service->id, 'suspendreason' => 'Abuse'])['result']);
        $this->assertSame(['Suspended', 'Abuse'], [Service::find($service->id)->domainstatus, Service::find($service->id)->suspendreason]);
        $this->assertSame('success', localAPI('ModuleUnsuspend', ['serviceid' => $service->id])['result']);
        $this->assertSame('success', localAPI('ModuleCustom', ['serviceid' => $service->id, 'func_name' => 'StartVm'])['result']);
        $this->assertSame('success', localAPI('ModuleTerminate', ['serviceid' => $service->id])['result']);
        $this->assertSame('Terminated', Service::find($service->id)->domainstatus);
        $this->assertSame(['SuspendAccount', 'UnsuspendAccount', 'StartVm', 'TerminateAccount'], $this->moduleCalls());
    }
}

<?php
/**
 * The facts of how WHMCS 8 behaves where a module meets it (README "What the stand-in follows"),
 * one test per fact, named after its number.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Cron;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Hooks;
use WhmcsStandIn\LocalApi;
use WhmcsStandIn\Mailer;
use WhmcsStandIn\Module;
use WhmcsStandIn\Orders;

final class BehaviourFactsTest extends StandInTestCase
{
    private const THROWING_MODULE = __DIR__ . '/fixtures/throwing';

    public function testFact01ModuleFilesAreIncludedWithoutACatchOnTheProductPageTheServersPageAndTheUsageUpdate(): void
    {
        $product = (int) Fixtures::product()->id;
        Fixtures::server(['type' => 'throwing']);
        $this->assertSame(['katapult' => 'Katapult (fixture)'], Module::productEditPage($product));

        Module::install(self::THROWING_MODULE, 'throwing');
        try {
            // Each page is a request of its own, as in WHMCS (include_once loads a file once per request).
            foreach (['productEditPage', 'serversPage', 'usageUpdate'] as $page) {
                $cmd = sprintf('%s %s %s %d 2>&1', escapeshellarg(PHP_BINARY), escapeshellarg(__DIR__ . '/fixtures/admin_page.php'), $page, $product);
                exec($cmd, $out, $code);
                $this->assertSame(['Oops! Something went wrong: the throwing fixture module cannot load'], $out, $page);
                $out = [];
            }
        } finally {
            unlink(ROOTDIR . '/modules/servers/throwing');
        }
        $this->assertSame(['katapult' => 'Katapult (fixture)'], Module::productEditPage($product));
    }

    public function testFact02HooksRunOnlyForModulesAProductSavedInTheAdminAreaUses(): void
    {
        $product = Fixtures::product(['servertype' => 'other'], savedInAdmin: false);
        Cron::run();
        $this->assertNotContains('AfterCronJob', $this->moduleCalls(), 'no product uses the module: its hooks.php is not loaded');

        Fixtures::product(['servertype' => 'katapult'], savedInAdmin: false);
        Cron::run();
        $this->assertNotContains('AfterCronJob', $this->moduleCalls(), 'a product created through the API leaves ModuleHooks as it was');

        Module::saveProduct((int) $product->id);
        $this->assertSame(['katapult', 'other'], Module::modulesInUse());
        Cron::run();
        $this->assertContains('AfterCronJob', $this->moduleCalls(), 'saving any product rebuilds the list from tblproducts.servertype');

        \WHMCS\Database\Capsule::table('tblproducts')->where('servertype', 'katapult')->delete();
        Module::saveProduct((int) $product->id);
        $GLOBALS['fixture_module_calls'] = [];
        Cron::run(daily: true);
        $this->assertSame([], $this->moduleCalls(), 'the last product using the module is gone: no AfterCronJob or DailyCronJob');
        $this->assertContains('AfterCronJob', Hooks::firedNames(), 'WHMCS itself still runs its hook points');
    }

    public function testFact03LoadersRunOnlyInSimpleModeAndWithAServerOfTheModule(): void
    {
        $product = (int) Fixtures::product()->id;
        $tab = Module::moduleSettingsTab($product);
        $this->assertSame(Module::NO_SERVER_FOR_LOADER, $tab['Data Center']['error']);
        $this->assertNull($tab['Data Center']['options']);
        $this->assertNotContains('DataCenterLoader', $this->moduleCalls());

        Fixtures::server(['hostname' => 'api.katapult.test']);
        $this->assertNull(Module::moduleSettingsTab($product, simpleMode: false)['Data Center']['options'], 'advanced mode: a text box');
        $this->assertNotContains('DataCenterLoader', $this->moduleCalls());

        $tab = Module::moduleSettingsTab($product);
        $this->assertSame(['uk-lon-01' => 'London'], $tab['Data Center']['options']);
        $this->assertNull($tab['Data Center']['error']);
        $this->assertSame('api.katapult.test', $GLOBALS['fixture_module_calls'][0]['params']['serverhostname']);
    }

    public function testFact04TheCronRunsInItsOwnPhpWithoutTheExtensionsGivenToAnother(): void
    {
        Fixtures::product();
        $cmd = sprintf('%s %s --daily --module=%s 2>&1', escapeshellarg(PHP_BINARY), escapeshellarg(dirname(__DIR__) . '/cron.php'), escapeshellarg(self::FIXTURE_MODULE));
        exec($cmd, $out, $code);
        $this->assertSame(0, $code, implode("\n", $out));
        $this->assertContains('fixture cron: katapult extension missing', ActivityLog::descriptions(), 'only the PHP started with -d extension=… has it');
    }

    public function testFact05TheWelcomeEmailComesOnlyFromTheOrderPaths(): void
    {
        $welcome = Fixtures::emailTemplate('Katapult Welcome');
        $product = Fixtures::product(['welcomeemail' => $welcome, 'autosetup' => 'payment']);
        $client = Fixtures::client();
        $sentFor = fn (int $service) => array_column(array_filter(Mailer::sent(), fn ($m) => $m['relid'] === $service), 'template');

        $byAdmin = (int) Fixtures::service($client, $product)->id;
        $this->assertSame('success', Module::runModuleCommand('CreateAccount', $byAdmin));
        $byApi = (int) Fixtures::service($client, $product)->id;
        $this->assertSame(['result' => 'success'], localAPI('ModuleCreate', ['serviceid' => $byApi]));
        $this->assertSame([], Mailer::sent(), 'the Create button and ModuleCreate send no email');

        $accepted = (int) Fixtures::service($client, $product)->id;
        $this->assertSame('success', Orders::acceptOrder($accepted));
        $this->assertSame(['Katapult Welcome'], $sentFor($accepted));
        $this->assertContains('AcceptOrder', Hooks::firedNames());
        $quiet = (int) Fixtures::service($client, $product)->id;
        Orders::acceptOrder($quiet, sendWelcomeEmail: false);
        $this->assertSame([], $sentFor($quiet), '"send welcome email" unticked');

        $paid = (int) Fixtures::service($client, $product)->id;
        $this->assertSame('success', Orders::payFirstInvoice($paid));
        $this->assertSame('Active', \WHMCS\Service\Service::find($paid)->domainstatus);
        $this->assertSame(['Katapult Welcome'], $sentFor($paid));
        $this->assertSame('', Orders::payFirstInvoice($paid), 'a later invoice sets nothing up');

        $manual = (int) Fixtures::service($client, Fixtures::product(['welcomeemail' => $welcome, 'autosetup' => '']))->id;
        $this->assertSame('', Orders::payFirstInvoice($manual), 'no automatic setup');
        $this->assertCount(2, Mailer::sent());
    }

    public function testFact06EmailPreSendRunsForEveryEmailAndAThrowingHookSilentlyStopsIt(): void
    {
        $client = Fixtures::client();
        $invoice = Fixtures::invoice($client, ['total' => '12.00']);
        Fixtures::emailTemplate('Invoice Created', ['type' => 'invoice', 'message' => 'Total {$invoice_total}']);
        Fixtures::emailTemplate('Hello', ['type' => 'general', 'message' => 'Hi {$client_first_name}']);
        $seen = [];
        add_hook('EmailPreSend', 1, function (array $vars) use (&$seen) {
            $seen[] = [$vars['messagename'], $vars['relid']];
            return null;
        });

        $this->assertTrue(sendMessage('Invoice Created', $invoice));
        $this->assertTrue(sendMessage('Hello', (int) $client->id));
        $preview = Mailer::preview('Invoice Created', $invoice);
        $this->assertSame('Total 12.00', $preview['message']);
        $this->assertSame([['Invoice Created', $invoice], ['Hello', (int) $client->id], ['Invoice Created', $invoice]], $seen, 'relid is the invoice, the client');
        $this->assertSame((int) $client->id, Mailer::sent()[0]['userid']);

        add_hook('EmailPreSend', 2, function (): void {
            throw new \RuntimeException('hook bug');
        });
        $this->assertFalse(sendMessage('Hello', (int) $client->id), 'swallowed: sendMessage says false');
        $this->assertNull(Mailer::preview('Hello', (int) $client->id));
        $this->assertCount(2, Mailer::sent(), 'the email did not go');
        $this->assertSame(['result' => 'error', 'message' => LocalApi::SENDING_FAILED], localAPI('SendEmail', ['messagename' => 'Hello', 'id' => $client->id]));
    }

    public function testFact16SuspensionForNonPaymentStoresNoReason(): void
    {
        $service = (int) Fixtures::service(Fixtures::client(), Fixtures::product(), ['domainstatus' => 'Active'])->id;
        $this->assertSame('success', Module::runModuleCommand('SuspendAccount', $service));
        $this->assertSame('', \WHMCS\Service\Service::find($service)->suspendreason);
        $this->assertSame('Overdue on Payment', $GLOBALS['fixture_module_calls'][0]['params']['suspendreason'], 'the module is told why');

        Module::runModuleCommand('UnsuspendAccount', $service);
        $this->assertSame('success', Module::runModuleCommand('SuspendAccount', $service, ['suspendreason' => 'Abuse']));
        $this->assertSame('Abuse', \WHMCS\Service\Service::find($service)->suspendreason, 'a reason the admin gave is kept');
    }

    public function testFact17LocalApiAnswersWithWhmcsTexts(): void
    {
        $this->assertSame(['result' => 'error', 'message' => 'Service ID not found'], localAPI('ModuleSuspend', ['serviceid' => 424242]));
        $service = (int) Fixtures::service(Fixtures::client(), Fixtures::product())->id;
        Fixtures::emailTemplate('Held');
        add_hook('EmailPreSend', 1, fn () => ['abortsend' => true]);
        $this->assertSame(['result' => 'error', 'message' => 'Sending Failed. Please see documentation.'], localAPI('SendEmail', ['messagename' => 'Held', 'id' => $service]));
    }

    public function testFact19AnAdminSingleSignOnLabelDoesNothingWithoutAdminSingleSignOn(): void
    {
        $client = Fixtures::client();
        $katapult = (int) Fixtures::service($client, Fixtures::product())->id;
        $this->assertSame('Open Console', Module::callNoParams('MetaData')['AdminSingleSignOnLabel']);
        $this->assertSame([], Module::adminServiceButtons($katapult), 'a label, but no AdminSingleSignOn');

        Module::install(__DIR__ . '/fixtures/adminsso', 'adminsso');
        try {
            $other = (int) Fixtures::service($client, Fixtures::product(['servertype' => 'adminsso']))->id;
            $this->assertSame(['Reboot', 'Open Panel'], Module::adminServiceButtons($other));
        } finally {
            unlink(ROOTDIR . '/modules/servers/adminsso');
        }
    }

    /**
     * The stand-in runs on whatever PHP the tests use; a provider's WHMCS limits the PHP (and so
     * the extension's build): the project README must say so.
     */
    public function testFact20ThePhpAWhmcsReleaseSupportsIsStatedForProviders(): void
    {
        $readme = (string) file_get_contents(dirname(__DIR__, 3) . '/README.md');
        $this->assertStringContainsString('WHMCS 8.7 supports PHP up to 8.1; later 8.x releases add' . "\n" . '  8.2 and 8.3', $readme);
        $this->assertStringContainsString('the CLI PHP' . "\n" . '  of the cron', $readme, 'fact 4: the cron\'s PHP needs the extension too');
    }
}

<?php
/**
 * The demo: what the module does for a paid order, in (a stand-in of) WHMCS on SQLite against
 * the Katapult simulator (see run.sh). Every step goes through WHMCS's own paths: the product's
 * Other tab, the admin's Create button, the cron, the module's service class.
 */
declare(strict_types=1);

use WHMCS\Database\Capsule;
use WHMCS\Module\Server\Katapult\WHMCS\Service\VirtualMachine as VirtualMachineService;
use WhmcsStandIn\{ActivityLog, Cron, Environment, Fixtures, Module, ModuleLog, Session};

require __DIR__ . '/../whmcs/bootstrap.php';

function step(string $text): void
{
    echo "\n== ", $text, "\n";
}

function show(string $label, string $value): void
{
    printf("   %-20s %s\n", $label . ':', $value);
}

echo "katapult extension ", Katapult\version(), " in the WHMCS stand-in (", Environment::driver(), ")\n";
Module::load(getenv('WHMCS_MODULE_DIR') ?: dirname(__DIR__, 2) . '/module');
Environment::reset();
ModuleLog::enable();

step('The provider sets up a Katapult product');
$welcome = Fixtures::emailTemplate('Cloud Server Welcome', [
    'subject' => 'Your cloud server is ready',
    'message' => 'Dear {$client_first_name}, your server {$katapult_vm_hostname} is running at {$katapult_vm_ip}. Log in as {$katapult_vm_username} with password {$service_password}.',
]);
$product = Fixtures::product(['name' => 'Cloud Server S', 'servertype' => 'katapult', 'welcomeemail' => $welcome, 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04']);
Fixtures::server();
$_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
run_hook('AdminProductConfigFieldsSave', ['pid' => $product->id]);
$_POST = [];
$test = katapult_TestConnection([]);
show('Test Connection', $test['success'] ? 'OK' : $test['error']);
show('packages offered', (string) count(katapult_PackageLoader([])));
show('data centers', implode(', ', array_filter(array_keys(katapult_DataCenterLoader([])))));

step('A client orders it; the admin accepts the order (CreateAccount, then the welcome email)');
$client = Fixtures::client(['firstname' => 'Ada', 'lastname' => 'Lovelace', 'companyname' => 'Analytical Engines',
    'email' => 'ada@example.test', 'password' => 'demo-password']);
$service = Fixtures::service($client, $product, ['domain' => 'engine.example.com']);
$t0 = microtime(true);
show('CreateAccount', WhmcsStandIn\Orders::acceptOrder((int) $service->id));
$vm = VirtualMachineService::findOrFail($service->id);
show('build', (string) $vm->vm_build_id . ' (' . $vm->vm_state . ')');
show('welcome email', count(WhmcsStandIn\Mailer::sent()) === 0 ? 'held back until the VM is built' : 'sent (unexpected)');

step('The cron checks the build until Katapult has built the VM');
add_hook('KatapultVirtualMachineBuilt', 0, function (VirtualMachineService $built) {
    show('hook fired', 'KatapultVirtualMachineBuilt for service ' . $built->id . ' (' . $built->vm->fqdn . ')');
});
$deadline = microtime(true) + 120;
while (VirtualMachineService::findOrFail($service->id)->vm_id === null && microtime(true) < $deadline) {
    usleep(500_000);
    Cron::run();
}
$vm = VirtualMachineService::findOrFail($service->id);
if ($vm->vm_id === null) {
    fwrite(STDERR, "the VM was not built in time\n");
    exit(1);
}
show('built in', sprintf('%.1f s', microtime(true) - $t0));

step('The service, as WHMCS now has it');
$row = Capsule::table('tblhosting')->where('id', $service->id)->first();
show('status', $row->domainstatus);
show('domain', $row->domain);
show('dedicated IP', $row->dedicatedip);
show('assigned IPs', str_replace("\n", ', ', $row->assignedips));
show('username', $row->username);
show('password', str_repeat('*', strlen(decrypt($row->password))) . ' (stored encrypted by WHMCS)');
show('VM', $vm->vm_id . ', ' . $vm->vm->package['name'] . ' in ' . $vm->vm->data_center['name']);

step('The welcome email, sent by the cron once the VM was built');
foreach (WhmcsStandIn\Mailer::sent() as $mail) {
    show('subject', (string) $mail['subject']);
    $body = preg_replace('/password \S+?\./', 'password ********.', strip_tags((string) $mail['message']));
    echo '   ', wordwrap((string) $body, 90, "\n   "), "\n";
}

step('Suspend and unsuspend; the console');
show('SuspendAccount', Module::runModuleCommand('SuspendAccount', (int) $service->id));
show('UnsuspendAccount', Module::runModuleCommand('UnsuspendAccount', (int) $service->id));
$deadline = microtime(true) + 60;
while (VirtualMachineService::findOrFail($service->id)->vm_state !== 'started' && microtime(true) < $deadline) {
    usleep(200_000);
}
show('VM state', VirtualMachineService::findOrFail($service->id)->vm_state);
Session::asAdmin(Fixtures::admin('alice')); // the admin's Open Console button
$sso = Module::call('ServiceSingleSignOn', (int) $service->id);
show('Open Console', $sso['success'] ? $sso['redirectTo'] : $sso['errorMsg']);

step('What the logs hold');
foreach (array_slice(array_filter(ActivityLog::descriptions(), fn ($l) => str_contains($l, 'Katapult')), 0, 8) as $line) {
    echo '   ', $line, "\n";
}
show('module log entries', count(ModuleLog::entries()) . ' API calls (key masked, root passwords removed)');

// run.sh serves the client area next, for this client and service.
file_put_contents((string) getenv('KATAPULT_DEMO_SERVICE_FILE') ?: '/dev/null', (string) $service->id);
echo "\nProvisioning complete.\n";

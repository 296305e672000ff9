<?php
/**
 * TEST STAND-IN for proprietary WHMCS: a client's service in the admin area
 * (`/admin/clientsservices.php?userid=C&id=N`, the client profile's Products/Services tab).
 *
 * Mirrors WHMCS's page as a provisioning module meets it (docs.whmcs.com clients/client-profile/
 * products-services-tab; developers.whmcs.com provisioning-modules):
 *  - the service's fields (product, server, domain, dedicated IP, assigned IPs, username,
 *    password, status), then one row per entry of `<module>_AdminServicesTabFields($params)`
 *    (label => HTML; an exception is shown in the row's place and logged);
 *  - "Save Changes" (POST action=save) writes the fields (the password encrypted), then calls
 *    `<module>_AdminServicesTabFieldsSave($params)` when the module has it, and runs the
 *    `AdminServiceEdit` hook (`userid`, `serviceid`): "Changes Saved Successfully!" (#alertSaved);
 *  - "Module Commands" (POST `modop` = create|suspend|unsuspend|terminate|changepackage, or
 *    custom with `ac` = one of `<module>_AdminCustomButtonArray()`'s functions, and for suspend
 *    an optional `suspreason`): WHMCS's module command path (Module::runModuleCommand: Pre/After
 *    hooks, status changes, activity log) as the logged-in admin; the answer is shown on the page
 *    it renders: 'success' → "Module Command Success" (#alertModuleSuccess), anything else →
 *    "Module Command Error: <text, escaped>" (#alertModuleError). A custom function the module
 *    does not list runs nothing (the stand-in's "Function Not Allowed"). Change Password shows
 *    only for a module with ChangePassword.
 * Simplifications: WHMCS runs the commands through AJAX and a confirmation modal and words its
 * answers in its language files (the wording here is the stand-in's); no billing fields, addons,
 * upgrades, module queue or SSO button.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web\Admin;

use WHMCS\Database\Capsule;
use WhmcsStandIn\Encryption;
use WhmcsStandIn\Hooks;
use WhmcsStandIn\Module;
use WhmcsStandIn\ModuleParams;
use WhmcsStandIn\Web\Theme;

final class ServicePage
{
    /** modop => [module function, button label]. */
    private const COMMANDS = [
        'create' => ['CreateAccount', 'Create'],
        'suspend' => ['SuspendAccount', 'Suspend'],
        'unsuspend' => ['UnsuspendAccount', 'Unsuspend'],
        'terminate' => ['TerminateAccount', 'Terminate'],
        'changepackage' => ['ChangePackage', 'Change Package'],
        'changepw' => ['ChangePassword', 'Change Password'],
    ];

    private const STATUSES = ['Pending', 'Active', 'Suspended', 'Terminated', 'Cancelled', 'Fraud', 'Completed'];

    public static function handle(): void
    {
        $admin = AdminArea::requireAdmin();
        if ($admin === null || !AdminArea::tokenAccepted()) {
            return;
        }
        $id = (int) AdminArea::input('id');
        $service = Capsule::table('tblhosting')->where('id', $id)->where('userid', (int) AdminArea::input('userid'))->first();
        if ($service === null) {
            http_response_code(404);
            echo AdminArea::page('Products/Services', Theme::alert('error', 'Service not found.'), $admin);
            return;
        }
        $module = (string) Capsule::table('tblproducts')->where('id', $service->packageid)->value('servertype');
        $hasModule = $module !== '' && Module::includeInstalled($module);
        $alert = '';
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
            $alert = AdminArea::input('action') === 'save' ? self::save($service, $module, $hasModule) : self::command($id, $module, $hasModule);
            $service = Capsule::table('tblhosting')->where('id', $id)->first();
        }
        echo AdminArea::page('Products/Services', $alert . self::form($service, $module, $hasModule), $admin, 'service-page');
    }

    private static function save(object $service, string $module, bool $hasModule): string
    {
        $status = AdminArea::input('domainstatus', (string) $service->domainstatus);
        Capsule::table('tblhosting')->where('id', $service->id)->update([
            'domain' => AdminArea::input('domain'),
            'dedicatedip' => AdminArea::input('dedicatedip'),
            'assignedips' => AdminArea::input('assignedips'),
            'username' => AdminArea::input('username'),
            'password' => Encryption::encrypt(AdminArea::input('password')),
            'domainstatus' => in_array($status, self::STATUSES, true) ? $status : (string) $service->domainstatus,
            'updated_at' => date('Y-m-d H:i:s'),
        ]);
        if ($hasModule && function_exists($module . '_AdminServicesTabFieldsSave')) {
            call_user_func($module . '_AdminServicesTabFieldsSave', ModuleParams::build((int) $service->id));
        }
        Hooks::run('AdminServiceEdit', ['userid' => (int) $service->userid, 'serviceid' => (int) $service->id]);
        return Theme::alert('success', 'Changes Saved Successfully!', 'alertSaved');
    }

    private static function command(int $id, string $module, bool $hasModule): string
    {
        // A custom button posts only its function (`ac`): modop=custom is implied.
        $modop = AdminArea::input('modop') ?: (AdminArea::input('ac') !== '' ? 'custom' : '');
        if ($modop === 'custom') {
            $function = AdminArea::input('ac');
            $allowed = $hasModule ? array_map('strval', array_values(self::customButtons($module))) : [];
            $result = in_array($function, $allowed, true) ? Module::runModuleCommand($function, $id) : 'Function Not Allowed';
        } elseif (isset(self::COMMANDS[$modop]) && $hasModule) {
            $extra = $modop === 'suspend' && AdminArea::input('suspreason') !== '' ? ['suspendreason' => AdminArea::input('suspreason')] : [];
            $result = Module::runModuleCommand(self::COMMANDS[$modop][0], $id, $extra);
        } else {
            $result = 'Function Not Supported by Module';
        }
        return $result === 'success'
            ? Theme::alert('success', 'Module Command Success', 'alertModuleSuccess')
            : Theme::alert('error', 'Module Command Error: ' . Theme::e($result), 'alertModuleError');
    }

    /** @return array<string, string> label => function */
    private static function customButtons(string $module): array
    {
        return function_exists($module . '_AdminCustomButtonArray') ? (array) call_user_func($module . '_AdminCustomButtonArray') : [];
    }

    private static function form(object $service, string $module, bool $hasModule): string
    {
        $id = (int) $service->id;
        $userid = (int) $service->userid;
        $product = (string) Capsule::table('tblproducts')->where('id', $service->packageid)->value('name');
        $server = (string) Capsule::table('tblservers')->where('id', $service->server)->value('name');
        $statusOptions = '';
        foreach (self::STATUSES as $status) {
            $statusOptions .= '<option' . ($status === $service->domainstatus ? ' selected' : '') . ">$status</option>";
        }
        $field = static fn (string $label, string $name, string $value, string $type = 'text') => '<tr><th class="w-25"><label for="input' . $name . '">' . $label . '</label></th><td>'
            . ($type === 'textarea' ? '<textarea class="form-control" rows="2" name="' . $name . '" id="input' . $name . '">' . Theme::e($value) . '</textarea>'
                : '<input type="' . $type . '" class="form-control" name="' . $name . '" id="input' . $name . '" value="' . Theme::e($value) . '">') . '</td></tr>';
        $rows = '<tr><th class="w-25">Product/Service</th><td id="serviceProduct">' . Theme::e($product) . '</td></tr>'
            . '<tr><th>Server</th><td id="serviceServer">' . Theme::e($server ?: 'None') . '</td></tr>'
            . $field('Domain', 'domain', (string) $service->domain)
            . $field('Dedicated IP', 'dedicatedip', (string) $service->dedicatedip)
            . $field('Assigned IPs', 'assignedips', (string) $service->assignedips, 'textarea')
            . $field('Username', 'username', (string) $service->username)
            . $field('Password', 'password', Encryption::decrypt((string) $service->password))
            . '<tr><th><label for="inputdomainstatus">Status</label></th><td><select class="form-control" name="domainstatus" id="inputdomainstatus" data-status="' . Theme::e($service->domainstatus) . '">' . $statusOptions . '</select></td></tr>';
        $rows .= $hasModule ? self::moduleFields($module, $id) : '';
        $token = generate_token('form');
        $commands = $hasModule ? self::commandButtons($module, $userid, $id, $token) : '';
        return <<<HTML
$commands
<form method="post" action="clientsservices.php?userid=$userid&amp;id=$id" id="frmServiceEdit">
    $token
    <input type="hidden" name="action" value="save">
    <table class="table table-sm bg-white" id="serviceFields"><tbody>$rows</tbody></table>
    <button type="submit" class="btn btn-primary" id="btnSaveService">Save Changes</button>
</form>
HTML;
    }

    private static function moduleFields(string $module, int $id): string
    {
        if (!function_exists($module . '_AdminServicesTabFields')) {
            return '';
        }
        try {
            $fields = (array) call_user_func($module . '_AdminServicesTabFields', ModuleParams::build($id));
        } catch (\Throwable $e) {
            error_log("[whmcs stand-in] {$module}_AdminServicesTabFields threw: $e");
            $fields = ['Module error' => '<span class="text-danger">' . Theme::e($e->getMessage()) . '</span>'];
        }
        $rows = '';
        foreach ($fields as $label => $html) {
            $rows .= '<tr class="module-field"><th>' . Theme::e($label) . '</th><td>' . $html . '</td></tr>';
        }
        return $rows;
    }

    private static function commandButtons(string $module, int $userid, int $id, string $token): string
    {
        $buttons = '';
        foreach (self::COMMANDS as $modop => [$function, $label]) {
            if ($modop === 'changepw' && !function_exists($module . '_ChangePassword')) {
                continue;
            }
            $buttons .= '<button type="submit" class="btn btn-outline-secondary btn-sm mr-1 mb-1" name="modop" value="' . $modop . '" data-module-command="' . $function . '">' . $label . '</button>';
        }
        foreach (self::customButtons($module) as $label => $function) {
            $buttons .= '<button type="submit" class="btn btn-outline-primary btn-sm mr-1 mb-1" name="ac" value="' . Theme::e($function) . '" data-module-command="' . Theme::e($function) . '">' . Theme::e($label) . '</button>';
        }
        return <<<HTML
<form method="post" action="clientsservices.php?userid=$userid&amp;id=$id" id="frmModuleCommands" class="card mb-3">
    $token
    <div class="card-body py-2"><strong class="mr-2">Module Commands</strong>$buttons</div>
</form>
HTML;
    }
}

<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the admin's addon module pages (WhmcsStandIn\AddonModules
 * does the loading):
 *  - `/admin/configaddonmods.php` (System Settings > Addon Modules): every installed addon module
 *    with its name, version, author and description, and Activate / Deactivate (POST `action` =
 *    activate|deactivate, `module`); the activation's status and description are shown
 *    (#addonActivated / #addonActivationFailed);
 *  - `/admin/addonmodules.php?module=<name>` (the Addons menu): the module's `_output` in the
 *    page, its `_sidebar` beside it; an inactive module, or one the admin's role may not use,
 *    gets "Access Denied" (stand-in wording) and runs nothing.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web\Admin;

use WhmcsStandIn\AddonModules;
use WhmcsStandIn\Web\Theme;

final class AddonModulesPage
{
    public static function handleList(): void
    {
        $admin = AdminArea::requireAdmin();
        if ($admin === null || !AdminArea::tokenAccepted()) {
            return;
        }
        $alert = '';
        $name = AdminArea::input('module');
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST' && $name !== '') {
            if (AdminArea::input('action') === 'activate') {
                $answer = AddonModules::activate($name, (int) $admin->roleid);
                $alert = $answer['status'] === 'error'
                    ? Theme::alert('error', 'Activation failed: ' . Theme::e($answer['description']), 'addonActivationFailed')
                    : Theme::alert('success', 'Module Activated Successfully ' . Theme::e($answer['description']), 'addonActivated');
            } elseif (AdminArea::input('action') === 'deactivate') {
                AddonModules::deactivate($name);
                $alert = Theme::alert('success', 'Module Deactivated Successfully', 'addonDeactivated');
            }
        }
        $active = AddonModules::active();
        $rows = '';
        $token = generate_token('form');
        foreach (AddonModules::installed() as $module => $config) {
            $on = in_array($module, $active, true);
            $button = $on
                ? '<button class="btn btn-sm btn-outline-danger" name="action" value="deactivate">Deactivate</button> <a class="btn btn-sm btn-primary" href="addonmodules.php?module=' . Theme::e($module) . '">Open</a>'
                : '<button class="btn btn-sm btn-success" name="action" value="activate">Activate</button>';
            $rows .= '<tr data-addon="' . Theme::e($module) . '"><td><strong>' . Theme::e($config['name'] ?? $module) . '</strong><br><small class="text-muted">'
                . Theme::e($config['description'] ?? '') . '</small></td><td>' . Theme::e($config['version'] ?? '') . '</td><td>' . Theme::e(strip_tags((string) ($config['author'] ?? '')))
                . '</td><td><form method="post" action="configaddonmods.php">' . $token . '<input type="hidden" name="module" value="' . Theme::e($module) . '">' . $button . '</form></td></tr>';
        }
        $table = $rows === '' ? '<p class="text-muted">No addon modules are installed.</p>'
            : '<table class="table table-striped" id="addonModules"><thead><tr><th>Module</th><th>Version</th><th>Author</th><th></th></tr></thead><tbody>' . $rows . '</tbody></table>';
        echo AdminArea::page('Addon Modules', $alert . $table, $admin);
    }

    public static function handleOutput(): void
    {
        $admin = AdminArea::requireAdmin();
        if ($admin === null || !AdminArea::tokenAccepted()) {
            return;
        }
        $name = AdminArea::input('module');
        $page = AddonModules::output($name, (int) $admin->roleid, (string) ($admin->language ?: 'english'));
        if ($page === null) {
            http_response_code(403);
            echo AdminArea::page('Access Denied', Theme::alert('error', 'Access Denied: the addon module "' . Theme::e($name) . '" is not active for your role.', 'alertAccessDenied'), $admin);
            return;
        }
        $content = $page['sidebar'] === ''
            ? '<div id="addonOutput">' . $page['output'] . '</div>'
            : '<div class="row"><div class="col-lg-3" id="addonSidebar">' . $page['sidebar'] . '</div><div class="col-lg-9" id="addonOutput">' . $page['output'] . '</div></div>';
        echo AdminArea::page($page['title'], $content, $admin, 'addon-' . $name);
    }
}

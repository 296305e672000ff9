<?php
/**
 * TEST STAND-IN for proprietary WHMCS: a product's edit page (`/admin/configproducts.php?
 * action=edit&id=N`, System Settings > Products/Services).
 *
 * Mirrors WHMCS's page as a provisioning module meets it: one form whose tabs are switched in
 * the browser (`tab` picks the one open first: 1 Details, 3 Module Settings, 9 Other, numbered
 * as remembered from WHMCS 8), saved at once by "Save Changes":
 *  - Module Settings: the module (`servertype`) and its ConfigOptions fields in definition order
 *    as `packageconfigoption[N]` (text, password, yesno checkbox 'on', dropdown from `Options`
 *    or from the `Loader`, radio, textarea), from Module::moduleSettingsTab() (simple mode: a
 *    loader runs only when a server of the module's type exists, and a loader's exception is
 *    shown in the field's place); saving writes configoption1..24 (an unticked yesno saves '');
 *  - Other: the rows the `AdminProductConfigFields` hooks return (`['pid' => N]`; label => HTML);
 *    on save `AdminProductConfigFieldsSave` runs with `['pid' => N]` and the posted form in
 *    `$_POST`;
 *  - every save rebuilds the `ModuleHooks` list (Module::saveProduct, README fact 2) and comes
 *    back with "Changes Saved Successfully!" (#alertSaved) on the tab that was open.
 * Every installed server module is included to list it (README fact 1: a module that throws
 * while loading gives the "Oops" page).
 * Simplifications: only the tabs a module touches (Details holds the name); no pricing, custom
 * fields, configurable options, upgrades or links tabs; no advanced mode.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web\Admin;

use WHMCS\Database\Capsule;
use WhmcsStandIn\Hooks;
use WhmcsStandIn\Module;
use WhmcsStandIn\Web\Router;
use WhmcsStandIn\Web\Theme;

final class ProductEdit
{
    private const TABS = [1 => 'Details', 3 => 'Module Settings', 9 => 'Other'];

    public static function handle(): void
    {
        $admin = AdminArea::requireAdmin();
        if ($admin === null || !AdminArea::tokenAccepted()) {
            return;
        }
        $id = (int) AdminArea::input('id');
        $product = Capsule::table('tblproducts')->where('id', $id)->first();
        if ($product === null) {
            http_response_code(404);
            echo AdminArea::page('Products/Services', Theme::alert('error', 'Product not found.'), $admin);
            return;
        }
        $tab = array_key_exists((int) AdminArea::input('tab', '1'), self::TABS) ? (int) AdminArea::input('tab', '1') : 1;
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST' && AdminArea::input('action') === 'save') {
            self::save($product);
            Router::redirect("configproducts.php?action=edit&id=$id&tab=$tab&success=true");
            return;
        }
        $modules = Module::productEditPage($id);
        $saved = AdminArea::input('success') === 'true' ? Theme::alert('success', 'Changes Saved Successfully!', 'alertSaved') : '';
        $nav = '';
        $panes = '';
        $bodies = [1 => self::details($product, $modules), 3 => self::moduleSettings($product), 9 => self::other($id)];
        foreach (self::TABS as $n => $label) {
            $active = $n === $tab ? ' active' : '';
            $nav .= "<li class=\"nav-item\"><a class=\"nav-link$active\" id=\"tabLink$n\" data-toggle=\"tab\" href=\"#tab$n\" data-tab=\"$n\" role=\"tab\">" . Theme::e($label) . '</a></li>';
            $panes .= "<div class=\"tab-pane$active\" id=\"tab$n\" role=\"tabpanel\">" . $bodies[$n] . '</div>';
        }
        $token = generate_token('form');
        $name = Theme::e($product->name);
        $content = <<<HTML
$saved
<form method="post" action="configproducts.php?action=edit&amp;id=$id" id="frmProductEdit">
    $token
    <input type="hidden" name="action" value="save">
    <input type="hidden" name="tab" id="inputTab" value="$tab">
    <ul class="nav nav-tabs" role="tablist">$nav</ul>
    <div class="tab-content border border-top-0 p-3 mb-3 bg-white">$panes</div>
    <button type="submit" class="btn btn-primary" id="btnSaveProduct">Save Changes</button>
</form>
<script>$('a[data-toggle="tab"]').on('shown.bs.tab', function () { $('#inputTab').val($(this).data('tab')); });</script>
HTML;
        echo AdminArea::page("Edit Product: $name", $content, $admin, 'product-edit');
    }

    private static function save(object $product): void
    {
        $changes = ['name' => AdminArea::input('name', (string) $product->name)];
        $module = AdminArea::input('servertype', (string) $product->servertype);
        $changes['servertype'] = $module;
        if ($module === (string) $product->servertype && $module !== '') {
            $posted = $_POST['packageconfigoption'] ?? [];
            $n = 0;
            foreach (Module::moduleSettingsTab((int) $product->id) as ['field' => $field]) {
                $n++;
                $value = is_array($posted) ? ($posted[$n] ?? '') : '';
                $value = is_string($value) ? html_entity_decode($value, ENT_QUOTES) : '';
                $changes["configoption$n"] = ($field['Type'] ?? '') === 'yesno' ? ($value !== '' ? 'on' : '') : $value;
            }
        }
        Module::saveProduct((int) $product->id, $changes);
        Hooks::run('AdminProductConfigFieldsSave', ['pid' => (int) $product->id]);
    }

    /** @param array<string, string> $modules */
    private static function details(object $product, array $modules): string
    {
        $options = '<option value="">None</option>';
        foreach ($modules as $name => $display) {
            $selected = $name === (string) $product->servertype ? ' selected' : '';
            $options .= '<option value="' . Theme::e($name) . "\"$selected>" . Theme::e($display) . '</option>';
        }
        return '<div class="form-group"><label for="inputName">Product Name</label><input class="form-control" id="inputName" name="name" value="' . Theme::e($product->name) . '"></div>'
            . '<div class="form-group"><label for="inputModule">Module Name</label><select class="form-control" id="inputModule" name="servertype">' . $options . '</select>'
            . '<small class="form-text text-muted">The module\'s settings are on the Module Settings tab (save after changing the module).</small></div>';
    }

    private static function moduleSettings(object $product): string
    {
        if ((string) $product->servertype === '') {
            return '<p class="text-muted">No module is selected.</p>';
        }
        $cells = '';
        $n = 0;
        foreach (Module::moduleSettingsTab((int) $product->id) as $name => ['field' => $field, 'options' => $options, 'error' => $error]) {
            $n++;
            $value = (string) ($product->{"configoption$n"} ?? '');
            $label = Theme::e($field['FriendlyName'] ?? $name);
            $input = $error !== null
                ? '<span class="text-danger module-setting-error">' . Theme::e($error) . '</span>'
                : self::input($n, $field, $options, $value);
            // A yes/no field's description is its checkbox's label.
            $description = ($field['Type'] ?? '') === 'yesno' ? '' : Theme::e($field['Description'] ?? '');
            $cells .= "<div class=\"form-group col-md-6\" data-configoption=\"$n\"><label for=\"configoption$n\">$label</label>$input"
                . ($description !== '' ? "<small class=\"form-text text-muted\">$description</small>" : '') . '</div>';
        }
        return '<div class="form-row" id="moduleSettings">' . $cells . '</div>';
    }

    /** @param array<string, mixed> $field */
    private static function input(int $n, array $field, ?array $loaded, string $value): string
    {
        $name = "packageconfigoption[$n]";
        $id = "configoption$n";
        $type = (string) ($field['Type'] ?? 'text');
        $options = $loaded ?? $field['Options'] ?? [];
        if (is_string($options)) {
            $list = array_map('trim', explode(',', $options));
            $options = array_combine($list, $list);
        }
        if ($type === 'dropdown' || isset($field['Loader'])) {
            $html = "<select class=\"form-control\" name=\"$name\" id=\"$id\">";
            foreach ((array) $options as $option => $label) {
                $selected = (string) $option === $value ? ' selected' : '';
                $html .= '<option value="' . Theme::e($option) . "\"$selected>" . Theme::e($label) . '</option>';
            }
            return $html . '</select>';
        }
        return match ($type) {
            'yesno' => "<div class=\"form-check\"><input type=\"checkbox\" class=\"form-check-input\" name=\"$name\" id=\"$id\" value=\"on\"" . ($value !== '' ? ' checked' : '')
                . "><label class=\"form-check-label text-muted small\" for=\"$id\">" . Theme::e($field['Description'] ?? '') . '</label></div>',
            'textarea' => "<textarea class=\"form-control\" name=\"$name\" id=\"$id\" rows=\"" . (int) ($field['Rows'] ?? 3) . '">' . Theme::e($value) . '</textarea>',
            'password' => "<input type=\"password\" class=\"form-control\" name=\"$name\" id=\"$id\" value=\"" . Theme::e($value) . '">',
            'radio' => implode(' ', array_map(static fn ($o) => "<label class=\"mr-2\"><input type=\"radio\" name=\"$name\" value=\"" . Theme::e($o) . '"' . ((string) $o === $value ? ' checked' : '') . '> ' . Theme::e($o) . '</label>', array_keys((array) $options))),
            default => "<input type=\"text\" class=\"form-control\" name=\"$name\" id=\"$id\" value=\"" . Theme::e($value) . '">',
        };
    }

    private static function other(int $productId): string
    {
        $rows = '';
        foreach (Hooks::run('AdminProductConfigFields', ['pid' => $productId]) as $fields) {
            foreach ((array) $fields as $label => $html) {
                $rows .= '<tr><th class="w-25">' . Theme::e($label) . '</th><td>' . $html . '</td></tr>';
            }
        }
        return $rows === '' ? '<p class="text-muted">Nothing from the modules here.</p>'
            : '<table class="table table-borderless" id="otherTabFields"><tbody>' . $rows . '</tbody></table>';
    }
}

<?php
/**
 * TEST STAND-IN for proprietary WHMCS: clientarea.php — the client's services list and the
 * product details page ("Manage Product") with the module's client-area output.
 *
 * Mirrors WHMCS 8 (the README's facts 7-11 and WHMCS's documented client-area output and custom functions) for a provisioning module:
 *  - clientarea.php needs a logged-in client (`$_SESSION['uid']`); otherwise 302 to login.php,
 *    remembering the URL to come back to (`$_SESSION['loginurlredirect']`, as WHMCS).
 *  - action=productdetails&id=N: the service must belong to the client; otherwise 302 to
 *    clientarea.php?action=products (WHMCS's `redir("action=products")`, from memory), and no
 *    module code runs. `id` is read from GET or POST, like WHMCS's get_req_var.
 *  - dosinglesignon=1 (GET or POST): `<module>_ServiceSingleSignOn($params)`; ['success' => true,
 *    'redirectTo' => url] → 302 to it; otherwise (or an exception) the page with WHMCS's generic
 *    language string `ssounabletologin` in an alert-danger (#alertSsoFailed): the module's errorMsg
 *    is never shown to clients (README fact 10). The English/German wording is the stand-in's.
 *  - modop=custom&a=FUNC (GET or POST): only for an Active service (README fact 8; otherwise the
 *    language string `productMustBeActiveForModuleCmds` as the failure, stand-in wording), with no
 *    CSRF check; FUNC must be a value of `<module>_ClientAreaCustomButtonArray()` or in
 *    `<module>_ClientAreaAllowedFunctions()`, and `<module>_FUNC` must exist; then
 *    `<module>_FUNC($params)` runs (it may print and exit, e.g. JSON for a background poll).
 *    An exception from it is WHMCS's "Oops" page (fact 9).
 *    'success' → alert-success "Action Completed Successfully" (#alertModuleCustomButtonSuccess);
 *    any other string → alert-danger "Action Failed: <text, escaped>"
 *    (#alertModuleCustomButtonFailed). twenty-one writes `{$LANG.moduleactionfailed|cat:' ':$result}`
 *    (no colon); WHMCS's newer themes write "{lang key='moduleactionfailed'}: {$result}"; the
 *    stand-in uses the colon form. An array result with 'jsonResponse' is sent as JSON (from
 *    memory of WHMCS); an array with 'templatefile' replaces the overview like a custom page.
 *    A FUNC that is not allowed runs nothing and shows "Action Failed: Function Not Allowed"
 *    (stand-in wording; WHMCS's is unknown). Nothing is logged by the stand-in (the module logs).
 *    The action runs first, then the page is rendered in the same request (no redirect), as WHMCS:
 *    refreshing or replaying the POST runs the action again unless the module refuses it.
 *  - The page: product name and group, status, registration date, first payment, recurring amount,
 *    billing cycle, next due date, payment method; a "Server Information" tab with hostname,
 *    dedicated IP and assigned IPs; the module output (`<module>_ClientArea($params)`) inside
 *    `.module-client-area` in that tab (twenty-one puts it there, in a `text-center` pane, when the
 *    service has a domain; otherwise in a "Manage" tab). String result → inserted as HTML. Array
 *    result: 'tabOverviewReplacementTemplate' replaces the overview card,
 *    'tabOverviewModuleOutputTemplate' / 'templatefile' is the module output; the template is
 *    `<module dir>/<name>.tpl` with `{$var}` substitution only (no Smarty; vars from
 *    'templateVariables' or 'vars', plus the module params). ClientArea is called for every status
 *    and its output shown only for an Active service (README fact 7). An exception from it is
 *    WHMCS's "Oops" page (fact 9), the exception in the web server's error log.
 *  - Sidebar "Actions" as WHMCS builds it: one link per custom button,
 *    `clientarea.php?action=productdetails&id=N&modop=custom&a=FUNC` (GET, no token, id
 *    `Primary_Sidebar-Service_Details_Actions-Custom_Module_Button_<Label_With_Underscores>`), only
 *    for an Active service; no automatic link from ServiceSingleSignOnLabel (README fact 10).
 *  - Hooks fired: ClientAreaPage and ClientAreaPageProductDetails (returned arrays merged into the
 *    page variables), ClientAreaProductDetailsOutput (returned HTML below the product details,
 *    twenty-one's $hookOutput), ClientAreaHeadOutput / ClientAreaHeaderOutput /
 *    ClientAreaFooterOutput (returned HTML in <head>, after <body>, before </body>). Hook exceptions
 *    are written to the error log and skipped.
 * Simplifications: no sub-accounts/permissions, no addons/downloads/change-password tabs, no upgrade
 * or cancel buttons, money as the default currency's prefix/suffix, dates as DD/MM/YYYY.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web;

use WHMCS\Database\Capsule;
use WHMCS\Service\Service;
use WhmcsStandIn\Hooks;
use WhmcsStandIn\Module;
use WhmcsStandIn\ModuleParams;
use WhmcsStandIn\Session;

final class ClientArea
{
    /** Entry point for /clientarea.php. */
    public static function handle(): void
    {
        $client = self::requireClient();
        if ($client === null) {
            return;
        }
        $action = (string) self::requestVar('action');
        if ($action === 'productdetails') {
            self::productDetails($client);
            return;
        }
        self::services($client);
    }

    /** The logged-in client's row, or null after sending the redirect to login. */
    private static function requireClient(): ?object
    {
        $uid = Session::clientId();
        $client = $uid !== null ? Capsule::table('tblclients')->where('id', $uid)->first() : null;
        if ($client === null) {
            Session::asSystem();
            $_SESSION['loginurlredirect'] = (string) ($_SERVER['REQUEST_URI'] ?? 'clientarea.php');
            Router::redirect('login.php');
            return null;
        }
        return $client;
    }

    private static function requestVar(string $name): mixed
    {
        return $_POST[$name] ?? $_GET[$name] ?? null;
    }

    private static function services(object $client): void
    {
        $t = Language::strings();
        $rows = Capsule::table('tblhosting')
            ->leftJoin('tblproducts', 'tblproducts.id', '=', 'tblhosting.packageid')
            ->where('tblhosting.userid', $client->id)
            ->orderBy('tblhosting.id')
            ->get(['tblhosting.id', 'tblhosting.domain', 'tblhosting.domainstatus', 'tblhosting.amount',
                'tblhosting.billingcycle', 'tblhosting.nextduedate', 'tblproducts.name']);
        $body = '';
        foreach ($rows as $row) {
            $href = 'clientarea.php?action=productdetails&id=' . (int) $row->id;
            $body .= '<tr data-service-id="' . (int) $row->id . '">'
                . '<td><a href="' . Theme::e($href) . '"><strong>' . Theme::e($row->name) . '</strong></a><br><small>' . Theme::e($row->domain) . '</small></td>'
                . '<td>' . Theme::e(self::money((string) $row->amount)) . '<br><small>' . Theme::e(self::cycle((string) $row->billingcycle)) . '</small></td>'
                . '<td>' . Theme::e(self::date((string) $row->nextduedate)) . '</td>'
                . '<td><span class="label status status-' . Theme::e(strtolower((string) $row->domainstatus)) . '">' . Theme::e(self::status((string) $row->domainstatus)) . '</span></td>'
                . '</tr>';
        }
        $table = $body === ''
            ? Theme::alert('info', Theme::e($t['noservices']))
            : '<div class="table-container clearfix"><table id="tableServicesList" class="table table-list w-100">'
              . '<thead><tr><th>' . Theme::e($t['orderproduct']) . '</th><th>' . Theme::e($t['clientareaaddonpricing']) . '</th><th>'
              . Theme::e($t['clientareahostingnextduedate']) . '</th><th>' . Theme::e($t['clientareastatus']) . '</th></tr></thead><tbody>'
              . $body . '</tbody></table></div>';
        $vars = self::pageVars('clientareaproducts', $client);
        self::firePage($vars);
        echo Theme::page([
            'title' => $t['clientareaproducts'],
            'client' => $client,
            'breadcrumb' => [[$t['clientareanavhome'], 'clientarea.php'], [$t['clientareaproducts'], 'clientarea.php?action=products']],
            'content' => '<h1 class="h3 mb-3">' . Theme::e($t['clientareaproducts']) . '</h1><div class="card"><div class="card-body">' . $table . '</div></div>',
        ] + self::outputHooks($vars));
    }

    private static function productDetails(object $client): void
    {
        $id = (int) self::requestVar('id');
        $service = $id > 0 ? Capsule::table('tblhosting')->where('id', $id)->where('userid', $client->id)->first() : null;
        if ($service === null) {
            Router::redirect('clientarea.php?action=products');
            return;
        }
        $product = Capsule::table('tblproducts')->where('id', $service->packageid)->first();
        $module = (string) ($product->servertype ?? '');
        $hasModule = $module !== '' && isset(Module::loaded()[$module]);
        $t = Language::strings();

        $alerts = '';
        $replacement = null;
        if ($hasModule && self::requestVar('dosinglesignon')) {
            $error = self::singleSignOn($module, $id);
            if ($error === null) {
                return;   // redirected
            }
            $alerts .= Theme::alert('error', Theme::e($error), 'alertSsoFailed');
        }
        if ($hasModule && self::requestVar('modop') === 'custom') {
            $outcome = (string) $service->domainstatus === 'Active'
                ? self::customAction($module, $id, (string) self::requestVar('a'))
                : Language::get('productMustBeActiveForModuleCmds');
            if ($outcome === null) {
                return;   // the function answered the request itself
            }
            if (is_array($outcome)) {
                $replacement = self::renderTemplate($module, $outcome, $id);
            } elseif ($outcome === 'success') {
                $alerts .= Theme::alert('success', Theme::e($t['moduleactionsuccess']), 'alertModuleCustomButtonSuccess');
            } else {
                $alerts .= Theme::alert('error', Theme::e($t['moduleactionfailed'] . ': ' . $outcome), 'alertModuleCustomButtonFailed');
            }
        }

        $vars = self::pageVars('clientareaproductdetails', $client) + ['id' => $id, 'serviceid' => $id];
        self::firePage($vars, 'ClientAreaPageProductDetails');

        $moduleOutput = '';
        if ($hasModule && $replacement === null) {
            [$moduleOutput, $overviewReplacement] = self::moduleOutput($module, $id);
            // Called for every status, shown only for an Active service (README fact 7).
            if ((string) $service->domainstatus === 'Active') {
                $replacement = $overviewReplacement;
            } else {
                $moduleOutput = '';
            }
        }

        $hookOutput = '';
        foreach (self::runHook('ClientAreaProductDetailsOutput', ['service' => Service::find($id)]) as $html) {
            if (is_string($html)) {
                $hookOutput .= '<div>' . $html . '</div>';
            }
        }

        $overview = $replacement ?? (self::productCard($service, $product) . $hookOutput . self::infoCard($service, $moduleOutput));
        $content = '<h1 class="h3 mb-3">' . Theme::e($t['manageproduct']) . '</h1>' . $alerts
            . '<div class="tab-content"><div class="tab-pane fade show active" role="tabpanel" id="tabOverview">' . $overview . '</div></div>';

        echo Theme::page([
            'title' => $t['manageproduct'],
            'client' => $client,
            'bodyClass' => 'page-clientareaproductdetails',
            'breadcrumb' => [[$t['clientareanavhome'], 'clientarea.php'], [$t['clientareaproducts'], 'clientarea.php?action=products'],
                [$t['overview'], 'clientarea.php?action=productdetails&id=' . $id]],
            'sidebar' => self::sidebar($service, $product, $module, $hasModule),
            'content' => $content,
        ] + self::outputHooks($vars));
    }

    /**
     * The client is never shown the module's errorMsg (README fact 10): any failure is WHMCS's
     * generic `ssounabletologin`.
     *
     * @return string|null the error to show, or null once the redirect is sent
     */
    private static function singleSignOn(string $module, int $id): ?string
    {
        $fn = $module . '_ServiceSingleSignOn';
        if (!function_exists($fn)) {
            return Language::get('ssounabletologin');
        }
        try {
            $result = $fn(ModuleParams::build($id));
        } catch (\Throwable $e) {
            error_log('[whmcs stand-in] ' . $fn . ' threw: ' . $e);
            return Language::get('ssounabletologin');
        }
        if (is_array($result) && ($result['success'] ?? false) === true && is_string($result['redirectTo'] ?? null) && $result['redirectTo'] !== '') {
            Router::redirect($result['redirectTo']);
            return null;
        }
        return Language::get('ssounabletologin');
    }

    /** @return string|array|null the result string, an array page, or null when the function answered itself */
    private static function customAction(string $module, int $id, string $function): string|array|null
    {
        if (!preg_match('/^[A-Za-z0-9_]+$/', $function) || !in_array($function, self::allowedFunctions($module), true)
            || !function_exists($module . '_' . $function)) {
            return 'Function Not Allowed';
        }
        // No catch: an exception is WHMCS's "Oops" page (README fact 9).
        $result = call_user_func($module . '_' . $function, ModuleParams::build($id));
        if (is_array($result) && array_key_exists('jsonResponse', $result)) {
            header('Content-Type: application/json');
            echo json_encode($result['jsonResponse']);
            return null;
        }
        if (is_array($result) && isset($result['templatefile'])) {
            return $result;
        }
        return is_string($result) ? $result : (is_scalar($result) ? (string) $result : 'An unknown error occurred');
    }

    /** @return list<string> the function suffixes a client may call */
    public static function allowedFunctions(string $module): array
    {
        $allowed = [];
        foreach (['ClientAreaCustomButtonArray', 'ClientAreaAllowedFunctions'] as $source) {
            $fn = $module . '_' . $source;
            if (!function_exists($fn)) {
                continue;
            }
            try {
                $list = $fn();
            } catch (\Throwable $e) {
                error_log('[whmcs stand-in] ' . $fn . ' threw: ' . $e);
                continue;
            }
            foreach (is_array($list) ? $list : [] as $value) {
                if (is_string($value)) {
                    $allowed[] = $value;
                }
            }
        }
        return $allowed;
    }

    /** @return array{0: string, 1: ?string} [module output HTML, overview replacement HTML or null] */
    private static function moduleOutput(string $module, int $id): array
    {
        $fn = $module . '_ClientArea';
        if (!function_exists($fn)) {
            return ['', null];
        }
        // No catch: an exception is WHMCS's "Oops" page (README fact 9).
        ob_start();
        try {
            $result = $fn(ModuleParams::build($id));
        } finally {
            $printed = (string) ob_get_clean();
        }
        if (is_string($result)) {
            return [$printed . $result, null];
        }
        if (!is_array($result) || $result === []) {
            return [$printed, null];
        }
        if (isset($result['tabOverviewReplacementTemplate'])) {
            return ['', $printed . self::renderTemplate($module, ['templatefile' => $result['tabOverviewReplacementTemplate']] + $result, $id)];
        }
        $template = $result['tabOverviewModuleOutputTemplate'] ?? $result['templatefile'] ?? null;
        return [$printed . ($template !== null ? self::renderTemplate($module, ['templatefile' => $template] + $result, $id) : ''), null];
    }

    /** A module template with `{$var}` substitution (stand-in: no Smarty). */
    private static function renderTemplate(string $module, array $result, int $id): string
    {
        $name = (string) $result['templatefile'];
        $dir = Module::loaded()[$module] ?? '';
        $file = $dir . '/' . (str_ends_with($name, '.tpl') ? $name : $name . '.tpl');
        if (str_contains($name, '..') || !is_file($file)) {
            return Theme::alert('warning', 'WHMCS stand-in: template ' . Theme::e($name) . ' not found in the module (no Smarty here)');
        }
        $vars = (array) ($result['templateVariables'] ?? $result['vars'] ?? []) + ModuleParams::build($id);
        return (string) preg_replace_callback('/\{\$([A-Za-z_][A-Za-z0-9_]*)\}/', static function (array $m) use ($vars): string {
            $value = $vars[$m[1]] ?? '';
            return is_scalar($value) ? (string) $value : '';
        }, (string) file_get_contents($file));
    }

    private static function productCard(object $service, ?object $product): string
    {
        $t = Language::strings();
        $group = $product !== null ? Capsule::table('tblproductgroups')->where('id', $product->gid)->value('name') : null;
        $status = (string) $service->domainstatus;
        $rows = '<h4>' . Theme::e($t['clientareahostingregdate']) . '</h4><span id="regdate">' . Theme::e(self::date((string) $service->regdate)) . '</span>';
        if ((string) $service->firstpaymentamount !== (string) $service->amount) {
            $rows .= '<h4>' . Theme::e($t['firstpaymentamount']) . '</h4><span id="firstpaymentamount">' . Theme::e(self::money((string) $service->firstpaymentamount)) . '</span>';
        }
        if (!in_array((string) $service->billingcycle, ['One Time', 'Free Account'], true)) {
            $rows .= '<h4>' . Theme::e($t['recurringamount']) . '</h4><span id="recurringamount">' . Theme::e(self::money((string) $service->amount)) . '</span>';
        }
        $rows .= '<h4>' . Theme::e($t['orderbillingcycle']) . '</h4><span id="billingcycle">' . Theme::e(self::cycle((string) $service->billingcycle)) . '</span>'
            . '<h4>' . Theme::e($t['clientareahostingnextduedate']) . '</h4><span id="nextduedate">' . Theme::e(self::date((string) $service->nextduedate)) . '</span>'
            . '<h4>' . Theme::e($t['orderpaymentmethod']) . '</h4><span id="paymentmethod">' . Theme::e(self::paymentMethod((string) $service->paymentmethod)) . '</span>';
        return '<div class="card"><div class="card-body"><div class="product-details clearfix"><div class="row">'
            . '<div class="col-md-6"><div class="product-status product-status-' . Theme::e(strtolower($status)) . '">'
            . '<div class="product-icon text-center"><h3 id="productName">' . Theme::e($product->name ?? '') . '</h3><h4>' . Theme::e((string) $group) . '</h4></div>'
            . '<div class="product-status-text" id="productStatus" data-status="' . Theme::e($status) . '">' . Theme::e(self::status($status)) . '</div>'
            . '</div></div>'
            . '<div class="col-md-6 text-center">' . $rows . '</div>'
            . '</div></div></div></div>';
    }

    /** twenty-one's second card: tabs with "Server Information" (or "Manage") holding the module output. */
    private static function infoCard(object $service, string $moduleOutput): string
    {
        $t = Language::strings();
        $domain = (string) $service->domain;
        if ($domain === '' && $moduleOutput === '') {
            return '';
        }
        $module = $moduleOutput !== '' ? '<div class="text-center module-client-area">' . $moduleOutput . '</div>' : '';
        if ($domain !== '') {
            $tab = '<li class="nav-item"><a href="#domain" data-toggle="tab" class="nav-link active">' . Theme::e($t['sslserverinfo']) . '</a></li>';
            $info = self::infoRow($t['serverhostname'], $domain, 'serverHostname');
            if ((string) $service->dedicatedip !== '') {
                $info .= self::infoRow($t['primaryIP'], (string) $service->dedicatedip, 'primaryIp');
            }
            if (trim((string) $service->assignedips) !== '') {
                $info .= self::infoRow($t['assignedIPs'], (string) $service->assignedips, 'assignedIps', true);
            }
            $pane = '<div class="tab-pane fade show active text-center" role="tabpanel" id="domain">' . $info . $module . '</div>';
        } else {
            $tab = '<li class="nav-item"><a href="#manage" data-toggle="tab" class="nav-link active">Manage</a></li>';
            $pane = '<div class="tab-pane fade show active text-center" role="tabpanel" id="manage">' . $module . '</div>';
        }
        return '<div class="card"><div class="card-body">'
            . '<ul class="nav nav-tabs responsive-tabs-sm">' . $tab . '</ul>'
            . '<div class="tab-content product-details-tab-container">' . $pane . '</div>'
            . '</div></div>';
    }

    private static function infoRow(string $label, string $value, string $id, bool $multiline = false): string
    {
        $html = $multiline ? nl2br(Theme::e(trim($value))) : Theme::e($value);
        return '<div class="row"><div class="col-sm-5 text-right"><strong>' . Theme::e($label) . '</strong></div>'
            . '<div class="col-sm-7 text-left" id="' . Theme::e($id) . '">' . $html . '</div></div>';
    }

    private static function sidebar(object $service, ?object $product, string $module, bool $hasModule): string
    {
        $t = Language::strings();
        $id = (int) $service->id;
        $base = 'clientarea.php?action=productdetails&id=' . $id;
        $html = Theme::sidebarPanel('Service Details Overview', $t['overview'], [
            [$t['overview'], $base, 'Primary_Sidebar-Service_Details_Overview-Information'],
        ]);
        if (!$hasModule || (string) $service->domainstatus !== 'Active') {
            return $html;
        }
        $items = [];
        $buttons = [];
        if (function_exists($module . '_ClientAreaCustomButtonArray')) {
            try {
                $buttons = (array) call_user_func($module . '_ClientAreaCustomButtonArray');
            } catch (\Throwable $e) {
                error_log('[whmcs stand-in] ' . $module . '_ClientAreaCustomButtonArray threw: ' . $e);
            }
        }
        foreach ($buttons as $label => $function) {
            $items[] = [(string) $label, $base . '&modop=custom&a=' . rawurlencode((string) $function),
                'Primary_Sidebar-Service_Details_Actions-Custom_Module_Button_' . str_replace(' ', '_', (string) $label)];
        }
        if ($items !== []) {
            $html .= Theme::sidebarPanel('Service Details Actions', $t['actions'], $items);
        }
        return $html;
    }

    /** @return array<string, mixed> the template variables hooks see (a subset of WHMCS's) */
    private static function pageVars(string $templateFile, object $client): array
    {
        return [
            'templatefile' => $templateFile,
            'filename' => 'clientarea',
            'template' => 'twenty-one',
            'language' => Language::current(),
            'LANG' => Language::strings(),
            'loggedin' => true,
            'client' => $client,
            'clientsdetails' => (array) $client,
            'token' => generate_token('plain'),
            'WEB_ROOT' => '',
            'systemurl' => (string) (\WHMCS\Config\Setting::getValue('SystemURL') ?? ''),
        ];
    }

    private static function firePage(array &$vars, ?string $pageHook = null): void
    {
        foreach (array_filter(['ClientAreaPage', $pageHook]) as $point) {
            foreach (self::runHook($point, $vars) as $result) {
                if (is_array($result)) {
                    $vars = array_merge($vars, $result);
                }
            }
        }
    }

    /** @return array{headOutput: string, headerOutput: string, footerOutput: string} */
    private static function outputHooks(array $vars): array
    {
        $out = [];
        foreach (['headOutput' => 'ClientAreaHeadOutput', 'headerOutput' => 'ClientAreaHeaderOutput', 'footerOutput' => 'ClientAreaFooterOutput'] as $key => $point) {
            $out[$key] = implode("\n", array_filter(self::runHook($point, $vars), 'is_string'));
        }
        return $out;
    }

    /** @return list<mixed> */
    private static function runHook(string $point, array $vars): array
    {
        try {
            return Hooks::run($point, $vars);
        } catch (\Throwable $e) {
            error_log('[whmcs stand-in] hook ' . $point . ' threw: ' . $e);
            return [];
        }
    }

    private static function status(string $status): string
    {
        return Language::get('clientarea' . $status) === 'clientarea' . $status ? $status : Language::get('clientarea' . $status);
    }

    private static function money(string $amount): string
    {
        $currency = Capsule::table('tblcurrencies')->where('default', 1)->first();
        return ($currency->prefix ?? '') . number_format((float) $amount, 2) . ($currency->suffix ?? '');
    }

    private static function cycle(string $cycle): string
    {
        $german = ['Monthly' => 'Monatlich', 'Quarterly' => 'Vierteljährlich', 'Semi-Annually' => 'Halbjährlich',
            'Annually' => 'Jährlich', 'Biennially' => 'Alle zwei Jahre', 'Triennially' => 'Alle drei Jahre',
            'One Time' => 'Einmalig', 'Free Account' => 'Kostenlos'];
        return Language::current() === 'german' ? ($german[$cycle] ?? $cycle) : $cycle;
    }

    private static function date(string $date): string
    {
        if ($date === '' || str_starts_with($date, '0000')) {
            return '-';
        }
        $time = strtotime($date);
        return $time === false ? $date : date('d/m/Y', $time);
    }

    private static function paymentMethod(string $gateway): string
    {
        return ['banktransfer' => 'Bank Transfer', 'paypal' => 'PayPal', 'mailin' => 'Mail In Payment'][$gateway] ?? $gateway;
    }
}

<?php
/**
 * The PHP reference's client-area page: the service model, the
 * build check (silent), the live VM through a Guzzle client made for this request, and the
 * overview rendered by Smarty (Debian's smarty4, a new Smarty per request as WHMCS makes one;
 * compiled templates in ROOTDIR/templates_c, so PHP's opcache keeps them) from page.tpl and
 * overview.tpl, each resolved through overrides/ as the incumbent's OverrideHelper does.
 *
 * It shows what ours shows (views/client/virtual_machines/overview.hbs, page.hbs): state badge,
 * hostname, IPv4 and IPv6 addresses, SSH command, username and password, package and data center,
 * the power actions the state allows and the console, as POST forms carrying WHMCS's CSRF token and
 * the incumbent's session-wide replay token. Text is English, in the templates, as the incumbent's.
 * Every value is HTML-escaped (Smarty's escape_html), as handlebars does for ours.
 */

declare(strict_types=1);

namespace WHMCS\Module\Server\Katapultref;

final class ClientArea
{
    private const STATE_LABELS = [
        'started' => 'Running', 'stopped' => 'Stopped', 'starting' => 'Starting', 'stopping' => 'Stopping',
        'shutting_down' => 'Shutting down', 'resetting' => 'Restarting', 'allocating' => 'Setting up',
        'allocated' => 'Set up', 'migrating' => 'Moving', 'transferring' => 'Moving', 'failed' => 'Failed',
        'orphaned' => 'Unavailable', 'building' => 'Being built', 'unknown' => 'Unknown',
    ];
    private const TRANSITIONAL = ['starting', 'stopping', 'shutting_down', 'resetting', 'allocating', 'allocated', 'migrating', 'transferring'];
    /** function => [label, action, confirmation] */
    private const ACTIONS = [
        'StartVm' => ['Start', 'start', null],
        'ShutdownVm' => ['Shut down', 'shutdown', 'Shut the server down? It is asked to close its programs and power off.'],
        'StopVm' => ['Stop', 'stop', 'Stop the server now? This is like pulling the power cable: anything not saved on it is lost.'],
        'ResetVm' => ['Restart', 'reset', 'Restart the server now? This is like pressing its reset button: anything not saved on it is lost.'],
    ];

    public static function render(array $params): string
    {
        $serviceId = (int) $params['serviceid'];
        $service = VirtualMachine::findOrFail($serviceId);
        $service->silentlyCheckForExistingBuildAttempt();
        $public = $service->toPublicArray();
        $vm = $service->vm();
        $state = $public['vm']['state'];
        $active = ($params['status'] ?? '') === 'Active';
        $token = Replay::getToken();
        $base = 'clientarea.php?action=productdetails&id=' . $serviceId;

        $ipv4 = [];
        $ipv6 = [];
        foreach ($vm->ip_addresses ?? [] as $ip) {
            if (filter_var($ip->address, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4) !== false) {
                $ipv4[] = $ip->address;
            } else {
                $ipv6[] = $ip->address;
            }
        }
        $username = ($params['username'] ?? '') !== '' ? $params['username'] : 'root';
        $sshHost = $ipv4[0] ?? ($vm->fqdn ?? null);
        $package = null;
        if (isset($vm->package)) {
            $p = $vm->package;
            $package = $p->name ?? $p->permalink ?? '';
            if (isset($p->cpu_cores, $p->memory_in_gb, $p->storage_in_gb)) {
                $package .= " ({$p->cpu_cores} vCPU, {$p->memory_in_gb} GB RAM, {$p->storage_in_gb} GB disk)";
            }
        }
        $actions = [];
        if ($active) {
            foreach (self::ACTIONS as $function => [$label, $action, $confirm]) {
                $allowed = $action === 'start' ? $state === 'stopped' : $state === 'started';
                if ($allowed) {
                    $actions[] = ['function' => $function, 'label' => $label, 'url' => $base . '&modop=custom&a=' . $function,
                        'confirm' => $confirm, 'style' => $confirm !== null ? 'outline-danger' : 'success'];
                }
            }
        }
        $changing = in_array($state, self::TRANSITIONAL, true);

        require_once '/usr/share/php/smarty4/Smarty.class.php';
        $smarty = new \Smarty();
        $smarty->setTemplateDir(dirname(__DIR__));
        $smarty->setCompileDir(ROOTDIR . '/templates_c');
        $smarty->escape_html = true;
        $smarty->assign([
            'service_id' => $serviceId,
            'csrf' => generate_token('plain'),
            'knrp' => $token,
            'poll_url' => $base,
            'version' => $state . ':' . ($vm->id ?? '') . ':' . (count($ipv4) + count($ipv6)),
            'poll_after_ms' => $changing ? 2000 : 15000,
            'vm' => [
                'id' => $vm->id ?? null,
                'fqdn' => $vm->fqdn ?? ($vm->hostname ?? null),
                'state' => $state,
                'state_label' => self::STATE_LABELS[$state] ?? $state,
                'state_class' => match ($state) {
                    'started' => 'success', 'stopped' => 'secondary', 'failed', 'orphaned' => 'danger', default => 'warning',
                },
                'changing' => $changing,
                'ipv4' => $ipv4,
                'ipv6' => $ipv6,
                'package' => $package,
                'data_center' => $vm->zone->data_center->name ?? null,
            ],
            'ssh' => $sshHost !== null ? "ssh $username@$sshHost" : null,
            'username' => $username,
            'password' => (string) ($params['password'] ?? ''),
            'actions' => $actions,
            'console' => $active && $state === 'started' ? ['url' => $base . '&dosinglesignon=1'] : null,
            'inactive' => $active ? null : 'This service is not active, so its server cannot be controlled here.',
            'overview_template' => OverrideHelper::view('client/virtual_machines/overview.tpl'),
            'assets' => [
                'css' => 'modules/servers/katapultref/' . OverrideHelper::asset('css/client.css'),
                'js' => 'modules/servers/katapultref/' . OverrideHelper::asset('js/client.js'),
            ],
        ]);
        return $smarty->fetch(OverrideHelper::view('client/virtual_machines/page.tpl'));
    }
}

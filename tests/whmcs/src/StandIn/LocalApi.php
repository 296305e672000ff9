<?php
/**
 * TEST STAND-IN for proprietary WHMCS: localAPI($command, $values, $adminUser = '').
 *
 * Mirrors WHMCS's internal API for the commands a provisioning module or its hooks use; each
 * returns WHMCS's response shape (['result' => 'success', ...] or ['result' => 'error',
 * 'message' => ...]). Supported:
 *  - SendEmail: messagename + id (related id), or customtype/customsubject/custommessage;
 *    customvars as an array or base64(serialize(array)) → Mailer (EmailPreSend hook, tblemails,
 *    standin_email_log). Unknown template → error "Email Template not found"; any other send
 *    that did not go (aborted by a hook, a hook threw) → "Sending Failed. Please see
 *    documentation." (README fact 17).
 *  - EncryptPassword / DecryptPassword: password2 → ['result' => 'success', 'password' => ...].
 *  - ModuleCreate / ModuleSuspend (suspendreason) / ModuleUnsuspend / ModuleTerminate /
 *    ModuleChangePackage / ModuleChangePw / ModuleCustom (func_name): serviceid (or the legacy
 *    accountid) → the admin "module command" path of WhmcsStandIn\Module (status changes, hooks;
 *    no welcome email, README fact 5); unknown service → error "Service ID not found" (fact 17);
 *    module error string → error.
 * Anything else → ['result' => 'error', 'message' => 'Command Not Found'].
 * While a command runs, logActivity() records the user "Local API User" (unless an admin session
 * exists), as WHMCS does. Simplification: $adminUser is accepted and not checked.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Database\Capsule;

final class LocalApi
{
    public static bool $runningViaLocalApi = false;

    /** WHMCS's answer whenever sendMessage() did not send (README fact 17). */
    public const SENDING_FAILED = 'Sending Failed. Please see documentation.';

    /** Stand-in only: every call, for tests. @var list<array{command: string, values: array}> */
    public static array $calls = [];

    /**
     * @param array<string, mixed> $values
     * @return array<string, mixed>
     */
    public static function call(string $command, array $values = [], string $adminUser = ''): array
    {
        self::$calls[] = ['command' => $command, 'values' => $values];
        $previous = self::$runningViaLocalApi;
        self::$runningViaLocalApi = true;
        try {
            return match (strtolower($command)) {
                'sendemail' => self::sendEmail($values),
                'encryptpassword' => ['result' => 'success', 'password' => Encryption::encrypt((string) ($values['password2'] ?? ''))],
                'decryptpassword' => ['result' => 'success', 'password' => Encryption::decrypt((string) ($values['password2'] ?? ''))],
                'modulecreate' => self::moduleCommand('CreateAccount', $values),
                'modulesuspend' => self::moduleCommand('SuspendAccount', $values),
                'moduleunsuspend' => self::moduleCommand('UnsuspendAccount', $values),
                'moduleterminate' => self::moduleCommand('TerminateAccount', $values),
                'modulechangepackage' => self::moduleCommand('ChangePackage', $values),
                'modulechangepw' => self::moduleCommand('ChangePassword', $values),
                'modulecustom' => self::moduleCommand((string) ($values['func_name'] ?? ''), $values),
                default => ['result' => 'error', 'message' => 'Command Not Found'],
            };
        } finally {
            self::$runningViaLocalApi = $previous;
        }
    }

    /** @param array<string, mixed> $values */
    private static function sendEmail(array $values): array
    {
        $vars = $values['customvars'] ?? [];
        if (is_string($vars) && $vars !== '') {
            $decoded = @unserialize((string) base64_decode($vars, true), ['allowed_classes' => false]);
            $vars = is_array($decoded) ? $decoded : [];
        }
        $vars = is_array($vars) ? $vars : [];
        $relId = (int) ($values['id'] ?? 0);
        $name = (string) ($values['messagename'] ?? '');
        if ($name === '') {
            $type = (string) ($values['customtype'] ?? '');
            if ($type === '') {
                return ['result' => 'error', 'message' => 'You must provide either an existing email template name or a custom message type'];
            }
            $sent = Mailer::sendCustom($type, (string) ($values['customsubject'] ?? ''), (string) ($values['custommessage'] ?? ''), $relId, $vars);
            return $sent ? ['result' => 'success'] : ['result' => 'error', 'message' => self::SENDING_FAILED];
        }
        if ($name !== 'defaultnewacc' && !Capsule::table('tblemailtemplates')->where('name', $name)->exists()) {
            return ['result' => 'error', 'message' => 'Email Template not found'];
        }
        return Mailer::send($name, $relId, $vars)
            ? ['result' => 'success']
            : ['result' => 'error', 'message' => self::SENDING_FAILED];
    }

    /** @param array<string, mixed> $values */
    private static function moduleCommand(string $function, array $values): array
    {
        $serviceId = (int) ($values['serviceid'] ?? $values['accountid'] ?? 0);
        if ($serviceId <= 0 || !Capsule::table('tblhosting')->where('id', $serviceId)->exists()) {
            return ['result' => 'error', 'message' => 'Service ID not found'];
        }
        $extra = [];
        if ($function === 'SuspendAccount' && isset($values['suspendreason'])) {
            $extra['suspendreason'] = (string) $values['suspendreason'];
        }
        $result = Module::runModuleCommand($function, $serviceId, $extra);
        return $result === 'success' ? ['result' => 'success'] : ['result' => 'error', 'message' => $result];
    }
}

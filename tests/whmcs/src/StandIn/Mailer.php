<?php
/**
 * TEST STAND-IN for proprietary WHMCS: sending a WHMCS email template (sendMessage / SendEmail).
 *
 * Mirrors WHMCS's sendMessage($templateName, $relId, $extra):
 *  - the special name 'defaultnewacc' means "the product's welcome email": the template whose id is
 *    tblproducts.welcomeemail for the service $relId; nothing is sent (false) when that is 0;
 *  - an unknown template logs "EMAILERROR: Email Template <name> Not Found" and returns false;
 *    a disabled template returns false;
 *  - $relId is the id of the template type's record: a tblhosting id for 'product' templates
 *    (merge fields from the service, product and client: client_*, service_* with the decrypted
 *    service_password, ...), a tblinvoices id for 'invoice' (client_*, invoice_*), a client id
 *    for 'general'; plus $extra;
 *  - the EmailPreSend hook runs for every email sent or previewed (preview()), with messagename,
 *    relid and mergefields (README fact 6); a result with `abortsend => true` stops the send, other
 *    results are merged into the merge fields; an exception thrown by a hook is swallowed and the
 *    email silently does not go (false);
 *  - the message is stored in tblemails (userid, subject, message, date, to) as WHMCS's email log.
 * Simplifications: nothing is delivered (no SMTP); templates are rendered by replacing `{$name}`
 * merge fields only (no Smarty logic); only 'product', 'invoice' and 'general' relations.
 * Stand-in only: each send is also recorded in `standin_email_log` (template name, relid, userid,
 * merge fields as JSON) — read it with Mailer::sent().
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Database\Capsule;

final class Mailer
{
    /** @param array<string, mixed> $extra */
    public static function send(string $templateName, int $relId, array $extra = []): bool
    {
        if ($templateName === 'defaultnewacc') {
            $welcome = (int) Capsule::table('tblhosting')
                ->join('tblproducts', 'tblproducts.id', '=', 'tblhosting.packageid')
                ->where('tblhosting.id', $relId)->value('tblproducts.welcomeemail');
            if ($welcome === 0) {
                return false;
            }
            $templateName = (string) Capsule::table('tblemailtemplates')->where('id', $welcome)->value('name');
        }
        $template = Capsule::table('tblemailtemplates')->where('name', $templateName)
            ->where(static fn ($q) => $q->where('language', '')->orWhereNull('language'))->first();
        if ($template === null) {
            ActivityLog::log('EMAILERROR: Email Template ' . $templateName . ' Not Found');
            return false;
        }
        if ((int) $template->disabled === 1) {
            return false;
        }
        return self::deliver($templateName, (string) $template->type, (string) $template->subject,
            (string) $template->message, $relId, $extra);
    }

    /**
     * A custom (template-less) message, as localAPI SendEmail with customtype/customsubject/custommessage.
     *
     * @param array<string, mixed> $extra
     */
    public static function sendCustom(string $type, string $subject, string $message, int $relId, array $extra = []): bool
    {
        return self::deliver('', $type, $subject, $message, $relId, $extra);
    }

    /**
     * The admin's preview of a template for a record: EmailPreSend runs as for a send; nothing is
     * stored. Null when the template does not exist or a hook aborted or threw.
     *
     * @return array{subject: string, message: string, mergefields: array<string, mixed>}|null
     */
    public static function preview(string $templateName, int $relId): ?array
    {
        $template = Capsule::table('tblemailtemplates')->where('name', $templateName)->first();
        if ($template === null) {
            return null;
        }
        [, $fields] = self::mergeFields((string) $template->type, $relId);
        $fields = self::runPreSend($templateName, $relId, $fields);
        return $fields === null ? null : [
            'subject' => self::render((string) $template->subject, $fields),
            'message' => self::render((string) $template->message, $fields),
            'mergefields' => $fields,
        ];
    }

    /**
     * EmailPreSend: the merge fields with what the hooks added, or null when one aborted the send
     * or threw (WHMCS swallows the exception).
     *
     * @param array<string, mixed> $fields
     * @return array<string, mixed>|null
     */
    private static function runPreSend(string $templateName, int $relId, array $fields): ?array
    {
        try {
            $results = Hooks::run('EmailPreSend', ['messagename' => $templateName, 'relid' => $relId, 'mergefields' => $fields]);
        } catch (\Throwable $e) {
            return null;
        }
        foreach ($results as $result) {
            if (is_array($result)) {
                if (!empty($result['abortsend'])) {
                    return null;
                }
                $fields = array_merge($fields, $result);
            }
        }
        return $fields;
    }

    /** @param array<string, mixed> $extra */
    private static function deliver(string $templateName, string $type, string $subject, string $message, int $relId, array $extra): bool
    {
        [$userId, $fields] = self::mergeFields($type, $relId);
        $fields = self::runPreSend($templateName, $relId, array_merge($fields, $extra));
        if ($fields === null) {
            return false;
        }
        $now = date('Y-m-d H:i:s');
        $emailId = (int) Capsule::table('tblemails')->insertGetId([
            'userid' => $userId,
            'subject' => self::render($subject, $fields),
            'message' => self::render($message, $fields),
            'date' => $now,
            'to' => (string) ($fields['client_email'] ?? ''),
            'created_at' => $now,
            'updated_at' => $now,
        ]);
        Capsule::table('standin_email_log')->insert([
            'template' => $templateName,
            'relid' => $relId,
            'userid' => $userId,
            'email_id' => $emailId,
            'merge_fields' => json_encode($fields, JSON_PARTIAL_OUTPUT_ON_ERROR),
            'date' => $now,
        ]);
        return true;
    }

    /**
     * Emails sent so far, oldest first (stand-in helper for tests).
     *
     * @return list<array{template: string, relid: int, userid: int, subject: string, message: string, to: string, mergefields: array<string, mixed>}>
     */
    public static function sent(): array
    {
        $rows = Capsule::table('standin_email_log')
            ->leftJoin('tblemails', 'tblemails.id', '=', 'standin_email_log.email_id')
            ->orderBy('standin_email_log.id')
            ->get(['standin_email_log.*', 'tblemails.subject', 'tblemails.message', 'tblemails.to']);
        return array_map(static fn ($r) => [
            'template' => (string) $r->template,
            'relid' => (int) $r->relid,
            'userid' => (int) $r->userid,
            'subject' => (string) $r->subject,
            'message' => (string) $r->message,
            'to' => (string) $r->to,
            'mergefields' => (array) json_decode((string) $r->merge_fields, true),
        ], $rows->all());
    }

    /** @return array{int, array<string, mixed>} client id, merge fields */
    private static function mergeFields(string $type, int $relId): array
    {
        $clientId = $relId;
        $fields = [];
        if ($type === 'invoice') {
            $invoice = Capsule::table('tblinvoices')->where('id', $relId)->first();
            $clientId = $invoice === null ? 0 : (int) $invoice->userid;
            if ($invoice !== null) {
                $fields += [
                    'invoice_id' => (int) $invoice->id,
                    'invoice_num' => (string) $invoice->invoicenum,
                    'invoice_total' => number_format((float) $invoice->total, 2, '.', ''),
                    'invoice_status' => (string) $invoice->status,
                    'invoice_date_due' => (string) $invoice->duedate,
                ];
            }
        }
        if ($type === 'product') {
            $service = Capsule::table('tblhosting')->where('id', $relId)->first();
            if ($service !== null) {
                $clientId = (int) $service->userid;
                $product = Capsule::table('tblproducts')->where('id', $service->packageid)->first();
                $fields += [
                    'service_id' => (int) $service->id,
                    'service_product_name' => (string) ($product->name ?? ''),
                    'service_domain' => (string) $service->domain,
                    'service_username' => (string) $service->username,
                    'service_password' => Encryption::decrypt((string) $service->password),
                    'service_dedicated_ip' => (string) $service->dedicatedip,
                    'service_assigned_ips' => (string) $service->assignedips,
                    'service_status' => (string) $service->domainstatus,
                    'service_billing_cycle' => (string) $service->billingcycle,
                    'service_next_due_date' => (string) $service->nextduedate,
                ];
            }
        }
        $client = Capsule::table('tblclients')->where('id', $clientId)->first();
        if ($client !== null) {
            $fields = [
                'client_id' => (int) $client->id,
                'client_name' => trim($client->firstname . ' ' . $client->lastname),
                'client_first_name' => (string) $client->firstname,
                'client_last_name' => (string) $client->lastname,
                'client_company_name' => (string) $client->companyname,
                'client_email' => (string) $client->email,
            ] + $fields;
        }
        return [$client === null ? 0 : (int) $client->id, $fields];
    }

    /** @param array<string, mixed> $fields */
    private static function render(string $text, array $fields): string
    {
        return (string) preg_replace_callback('/\{\$([A-Za-z0-9_]+)\}/', static function (array $m) use ($fields): string {
            $value = $fields[$m[1]] ?? '';
            return is_scalar($value) ? (string) $value : '';
        }, $text);
    }
}

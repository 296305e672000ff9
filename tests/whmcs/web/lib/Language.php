<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the client area's language.
 *
 * Mirrors WHMCS: the active language is a language file name ('english', 'german', ...) kept in
 * `$_SESSION['Language']`; a logged-in client's preference is `tblclients.language` (applied to
 * the session at login); the installation default is the `Language` setting ('english'). Any
 * client-area URL with `?language=<name>` switches it (the twenty-one theme's language chooser
 * links to the current page with that parameter); unknown names are ignored. When a client is
 * logged in the choice is also saved to tblclients.language (as remembered from WHMCS 7+;
 * unverified). `$GLOBALS['CONFIG']['Language']` keeps the installation default, as in WHMCS.
 *
 * Simplifications: the theme's own strings are a handful of keys (WHMCS's lang/english.php key
 * names, English wording as remembered from WHMCS 8; the German wording is the stand-in's, not
 * checked against WHMCS's german.php); every language other than German shows English. `$_LANG`
 * (global) holds them, as WHMCS's global $_LANG does. Module language files are not loaded.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web;

use WHMCS\Config\Setting;
use WHMCS\Database\Capsule;
use WhmcsStandIn\Session;

final class Language
{
    /** The language files of a WHMCS 8 installation (lang/*.php). */
    public const AVAILABLE = [
        'arabic', 'azerbaijani', 'catalan', 'chinese', 'croatian', 'czech', 'danish', 'dutch', 'english',
        'estonian', 'farsi', 'french', 'german', 'hebrew', 'hungarian', 'italian', 'macedonian', 'norwegian',
        'portuguese-br', 'portuguese-pt', 'romanian', 'russian', 'spanish', 'swedish', 'turkish', 'ukranian',
    ];

    private const STRINGS = [
        'english' => [
            'locale' => 'en_GB',
            'clientareanavhome' => 'Home',
            'navservices' => 'Services',
            'clientareanavlogout' => 'Logout',
            'login' => 'Login',
            'loginbutton' => 'Login',
            'userLogin.signInToContinue' => 'Sign in to continue',
            'clientareaemail' => 'Email Address',
            'clientareapassword' => 'Password',
            'loginincorrect' => 'Login Details Incorrect. Please try again.',
            'logouttitle' => 'Logout',
            'logoutsuccessful' => 'You have been successfully logged out.',
            'continue' => 'Continue',
            'clientareaproducts' => 'My Products & Services',
            'manageproduct' => 'Manage Product',
            'overview' => 'Overview',
            'orderproduct' => 'Product/Service',
            'clientareaaddonpricing' => 'Pricing',
            'clientareastatus' => 'Status',
            'clientareahostingregdate' => 'Registration Date',
            'firstpaymentamount' => 'First Payment Amount',
            'recurringamount' => 'Recurring Amount',
            'orderbillingcycle' => 'Billing Cycle',
            'clientareahostingnextduedate' => 'Next Due Date',
            'orderpaymentmethod' => 'Payment Method',
            'sslserverinfo' => 'Server Information',
            'serverhostname' => 'Hostname',
            'primaryIP' => 'Primary IP',
            'assignedIPs' => 'Assigned IPs',
            'moduleactionsuccess' => 'Action Completed Successfully',
            'moduleactionfailed' => 'Action Failed',
            'actions' => 'Actions',
            'chooselanguage' => 'Choose language',
            'clientareaActive' => 'Active',
            'clientareaPending' => 'Pending',
            'clientareaSuspended' => 'Suspended',
            'clientareaTerminated' => 'Terminated',
            'clientareaCancelled' => 'Cancelled',
            'clientareaFraud' => 'Fraud',
            'clientareaCompleted' => 'Completed',
            'noservices' => 'You have no products or services.',
            'ssounabletologin' => 'Unable to log you in automatically. Please try again or contact support.',
            'productMustBeActiveForModuleCmds' => 'The product must be active to perform this action.',
        ],
        'german' => [
            'locale' => 'de_DE',
            'clientareanavhome' => 'Startseite',
            'navservices' => 'Dienste',
            'clientareanavlogout' => 'Abmelden',
            'login' => 'Anmelden',
            'loginbutton' => 'Anmelden',
            'userLogin.signInToContinue' => 'Melden Sie sich an, um fortzufahren',
            'clientareaemail' => 'E-Mail-Adresse',
            'clientareapassword' => 'Passwort',
            'loginincorrect' => 'Die Zugangsdaten sind falsch. Bitte versuchen Sie es erneut.',
            'logouttitle' => 'Abmelden',
            'logoutsuccessful' => 'Sie wurden erfolgreich abgemeldet.',
            'continue' => 'Weiter',
            'clientareaproducts' => 'Meine Produkte & Dienstleistungen',
            'manageproduct' => 'Produkt verwalten',
            'overview' => 'Übersicht',
            'orderproduct' => 'Produkt/Dienstleistung',
            'clientareaaddonpricing' => 'Preis',
            'clientareastatus' => 'Status',
            'clientareahostingregdate' => 'Registrierungsdatum',
            'firstpaymentamount' => 'Erster Zahlungsbetrag',
            'recurringamount' => 'Wiederkehrender Betrag',
            'orderbillingcycle' => 'Zahlungsintervall',
            'clientareahostingnextduedate' => 'Nächste Fälligkeit',
            'orderpaymentmethod' => 'Zahlungsmethode',
            'sslserverinfo' => 'Serverinformationen',
            'serverhostname' => 'Hostname',
            'primaryIP' => 'Primäre IP',
            'assignedIPs' => 'Zugewiesene IPs',
            'moduleactionsuccess' => 'Aktion erfolgreich ausgeführt',
            'moduleactionfailed' => 'Aktion fehlgeschlagen',
            'actions' => 'Aktionen',
            'chooselanguage' => 'Sprache wählen',
            'clientareaActive' => 'Aktiv',
            'clientareaPending' => 'Ausstehend',
            'clientareaSuspended' => 'Gesperrt',
            'clientareaTerminated' => 'Beendet',
            'clientareaCancelled' => 'Storniert',
            'clientareaFraud' => 'Betrug',
            'clientareaCompleted' => 'Abgeschlossen',
            'noservices' => 'Sie haben keine Produkte oder Dienstleistungen.',
            'ssounabletologin' => 'Die automatische Anmeldung ist nicht möglich. Bitte versuchen Sie es erneut oder wenden Sie sich an den Support.',
            'productMustBeActiveForModuleCmds' => 'Das Produkt muss aktiv sein, um diese Aktion auszuführen.',
        ],
    ];

    /** Applies `?language=` (session, and the logged-in client's preference). */
    public static function applyRequest(): void
    {
        $requested = $_GET['language'] ?? null;
        if (!is_string($requested)) {
            return;
        }
        $requested = strtolower(trim($requested));
        if (!in_array($requested, self::AVAILABLE, true)) {
            return;
        }
        $_SESSION['Language'] = $requested;
        $clientId = Session::clientId();
        if ($clientId !== null) {
            Capsule::table('tblclients')->where('id', $clientId)->update(['language' => $requested]);
        }
    }

    /** At login: the client's saved language, if any, becomes the session's. */
    public static function applyClientPreference(object $client): void
    {
        $language = strtolower((string) ($client->language ?? ''));
        if (in_array($language, self::AVAILABLE, true)) {
            $_SESSION['Language'] = $language;
        }
    }

    public static function current(): string
    {
        $session = $_SESSION['Language'] ?? null;
        if (is_string($session) && in_array($session, self::AVAILABLE, true)) {
            return $session;
        }
        $default = strtolower((string) (Setting::getValue('Language') ?? ''));
        return in_array($default, self::AVAILABLE, true) ? $default : 'english';
    }

    /** @return array<string, string> the theme strings of the current language (English fallback per key) */
    public static function strings(): array
    {
        return (self::STRINGS[self::current()] ?? []) + self::STRINGS['english'];
    }

    public static function get(string $key): string
    {
        return self::strings()[$key] ?? $key;
    }

    /** The `lang` attribute of the page. */
    public static function htmlLang(): string
    {
        return substr(self::strings()['locale'], 0, 2);
    }
}

<?php
/**
 * TEST STAND-IN for proprietary WHMCS: what every page of WHMCS's admin area (`/admin/`) shares:
 * the logged-in admin, and the page frame.
 *
 * Mirrors WHMCS's admin area as a module notices it: `ADMINAREA` is defined (never `CLIENTAREA`),
 * the admin is `$_SESSION['adminid']` (a page without one sends the admin to `login.php`,
 * remembering where to come back), every POST must carry the session's CSRF `token` (WHMCS's
 * check_token: otherwise "Invalid CSRF Protection Token", and nothing runs), and the
 * `AdminAreaHeadOutput` hook's HTML goes into `<head>`. The frame is a top navigation bar
 * (Dashboard, Products/Services, Addons) above the page's content.
 * Simplifications: WHMCS's "Blend" admin theme is Bootstrap 3; the stand-in draws its admin pages
 * with the Bootstrap 4.6 it serves for the client area. No permissions beyond the admin's role
 * id, no two-factor, no admin notes, no search.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web\Admin;

use WHMCS\Config\Setting;
use WHMCS\Database\Capsule;
use WhmcsStandIn\Csrf;
use WhmcsStandIn\Hooks;
use WhmcsStandIn\Web\Router;
use WhmcsStandIn\Web\Theme;

final class AdminArea
{
    /** The logged-in admin's row, or null after sending the browser to the login page. */
    public static function requireAdmin(): ?object
    {
        $id = (int) ($_SESSION['adminid'] ?? 0);
        $admin = $id > 0 ? Capsule::table('tbladmins')->where('id', $id)->where('disabled', 0)->first() : null;
        if ($admin === null) {
            $_SESSION['adminloginurlredirect'] = (string) ($_SERVER['REQUEST_URI'] ?? '');
            Router::redirect('login.php');
        }
        return $admin;
    }

    /** False (with WHMCS's message) for a POST without the session's token. */
    public static function tokenAccepted(): bool
    {
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') !== 'POST' || Csrf::isValid()) {
            return true;
        }
        http_response_code(403);
        echo self::page('Error', Theme::alert('error', Csrf::INVALID_MESSAGE, 'alertInvalidToken'), null);
        return false;
    }

    /** A request value as a module reads it (WHMCS encoded it at boot, README fact 12). */
    public static function input(string $name, string $default = ''): string
    {
        $value = $_POST[$name] ?? $_GET[$name] ?? $default;
        return is_string($value) ? html_entity_decode($value, ENT_QUOTES) : $default;
    }

    public static function page(string $title, string $content, ?object $admin, string $bodyId = ''): string
    {
        $company = Theme::e((string) (Setting::getValue('CompanyName') ?? 'WHMCS'));
        $head = implode("\n", array_map('strval', Hooks::run('AdminAreaHeadOutput', ['pagetitle' => $title, 'filename' => basename((string) ($_SERVER['SCRIPT_NAME'] ?? ''), '.php')])));
        $nav = '';
        if ($admin !== null) {
            $nav = '<ul class="navbar-nav mr-auto">'
                . '<li class="nav-item"><a class="nav-link" id="Menu-Dashboard" href="index.php">Dashboard</a></li>'
                . '<li class="nav-item"><a class="nav-link" id="Menu-Addons" href="configaddonmods.php">Addon Modules</a></li>'
                . '</ul><span class="navbar-text mr-3" id="adminName">' . Theme::e(trim($admin->firstname . ' ' . $admin->lastname)) . '</span>'
                . '<a class="btn btn-sm btn-outline-light" id="adminLogout" href="logout.php">Logout</a>';
        }
        $titleHtml = Theme::e($title);
        $token = json_encode(Csrf::token());
        $id = $bodyId !== '' ? ' id="' . Theme::e($bodyId) . '"' : '';
        return <<<HTML
<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>$titleHtml - $company - WHMCS admin</title>
    <link rel="icon" href="data:,">
    <link href="/templates/twenty-one/css/bootstrap.min.css" rel="stylesheet">
    <script>var csrfToken = $token;</script>
    <script src="/templates/twenty-one/js/jquery.min.js"></script>
    <script src="/templates/twenty-one/js/bootstrap.bundle.min.js"></script>
$head
</head>
<body class="admin-area"$id>
<nav class="navbar navbar-expand navbar-dark bg-dark mb-4">
    <a class="navbar-brand" href="index.php">$company <small class="text-muted">admin</small></a>
    $nav
</nav>
<main class="container-fluid px-4">
    <h1 class="h3 mb-4" id="pageTitle">$titleHtml</h1>
    $content
</main>
<footer class="container-fluid px-4 py-4 text-muted small">WHMCS stand-in (tests/whmcs/web), admin area.</footer>
</body>
</html>
HTML;
    }
}

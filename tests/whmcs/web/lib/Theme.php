<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the page frame of WHMCS's "twenty-one" client-area theme.
 *
 * Mirrors the structure of twenty-one (Bootstrap 4.6, WHMCS 8.1+) as far as a module's output
 * notices it: <head> loads the theme CSS, jQuery and bootstrap.bundle (twenty-one loads its
 * scripts.min.js, which holds both, in <head>) and defines the JS globals `csrfToken` and
 * `whmcsBaseUrl`; then the ClientAreaHeadOutput hook output; <body> starts with the
 * ClientAreaHeaderOutput hook output, a header with the navbar (`#header`, `.navbar`), the
 * breadcrumb (`.master-breadcrumb`), `#main-body` with a sidebar column (`.sidebar`, `.card`
 * panels with `.list-group` links) and the primary content column (`.primary-content`), a footer
 * with the language chooser (links to the current URL with `language=<name>`), and the
 * ClientAreaFooterOutput hook output before </body>.
 * Simplifications: no Smarty, no template files, no Font Awesome, no menu API (sidebars are fixed
 * HTML), no currency chooser, a small stand-in stylesheet instead of twenty-one's theme.min.css.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web;

use WHMCS\Config\Setting;
use WhmcsStandIn\Csrf;

final class Theme
{
    public static function e(mixed $value): string
    {
        return htmlspecialchars((string) $value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
    }

    /** twenty-one's includes/alert.tpl: type success|error|warning|info, optional id. */
    public static function alert(string $type, string $html, string $id = ''): string
    {
        $class = $type === 'error' ? 'danger' : $type;
        $idAttr = $id !== '' ? ' id="' . self::e($id) . '"' : '';
        return '<div class="alert alert-' . self::e($class) . ' text-center"' . $idAttr . ' role="alert">' . $html . '</div>';
    }

    /** A sidebar panel (twenty-one's includes/sidebar.tpl): title and a list of [label, href, id, extra attrs]. */
    public static function sidebarPanel(string $menuId, string $title, array $items): string
    {
        $html = '<div menuItemName="' . self::e($menuId) . '" class="mb-3 card card-sidebar" id="' . self::e(str_replace(' ', '_', $menuId)) . '">'
            . '<div class="card-header"><h3 class="card-title m-0">' . self::e($title) . '</h3></div>'
            . '<div class="list-group list-group-flush d-md-flex" role="tablist">';
        foreach ($items as $item) {
            [$label, $href, $id] = $item;
            $attrs = $item[3] ?? '';
            $html .= '<a href="' . self::e($href) . '" class="list-group-item list-group-item-action" id="' . self::e($id) . '"' . $attrs . '>'
                . self::e($label) . '</a>';
        }
        return $html . '</div></div>';
    }

    /**
     * @param array{title: string, content: string, sidebar?: string, breadcrumb?: list<array{0: string, 1: string}>,
     *   client?: ?object, headOutput?: string, headerOutput?: string, footerOutput?: string, bodyClass?: string} $page
     */
    public static function page(array $page): string
    {
        $t = Language::strings();
        $company = (string) (Setting::getValue('CompanyName') ?? 'WHMCS');
        $client = $page['client'] ?? null;
        $token = Csrf::token();

        $nav = '';
        if ($client !== null) {
            $nav .= '<li class="nav-item"><a class="nav-link" id="Primary_Navbar-Home" href="clientarea.php">' . self::e($t['clientareanavhome']) . '</a></li>'
                . '<li class="nav-item"><a class="nav-link" id="Primary_Navbar-Services" href="clientarea.php?action=products">' . self::e($t['navservices']) . '</a></li>';
            $account = '<li class="nav-item"><span class="navbar-text mr-3" id="Secondary_Navbar-Account-Name">'
                . self::e(trim($client->firstname . ' ' . $client->lastname)) . '</span></li>'
                . '<li class="nav-item"><a class="nav-link" id="Secondary_Navbar-Account-Logout" href="logout.php">' . self::e($t['clientareanavlogout']) . '</a></li>';
        } else {
            $account = '<li class="nav-item"><a class="nav-link" id="Secondary_Navbar-Account-Login" href="login.php">' . self::e($t['login']) . '</a></li>';
        }

        $crumbs = '';
        foreach ($page['breadcrumb'] ?? [] as $i => [$label, $href]) {
            $last = $i === array_key_last($page['breadcrumb']);
            $crumbs .= $last
                ? '<li class="breadcrumb-item active" aria-current="page">' . self::e($label) . '</li>'
                : '<li class="breadcrumb-item"><a href="' . self::e($href) . '">' . self::e($label) . '</a></li>';
        }

        $sidebar = $page['sidebar'] ?? '';
        $main = $sidebar !== ''
            ? '<div class="col-lg-4 col-xl-3"><div class="sidebar">' . $sidebar . '</div></div>'
              . '<div class="col-lg-8 col-xl-9 primary-content">' . $page['content'] . '</div>'
            : '<div class="col-12 primary-content">' . $page['content'] . '</div>';

        $languages = '';
        foreach (['english' => 'English', 'german' => 'Deutsch', 'french' => 'Français', 'spanish' => 'Español'] as $code => $name) {
            $active = Language::current() === $code ? ' active' : '';
            $languages .= '<a class="dropdown-item' . $active . '" href="' . self::e(self::currentUrlWith(['language' => $code])) . '" data-language="' . $code . '">' . self::e($name) . '</a>';
        }

        $lang = self::e(Language::htmlLang());
        $title = self::e($page['title'] . ' - ' . $company);
        $bodyClass = self::e(trim('primary-bg-color ' . ($page['bodyClass'] ?? '')));
        $companyHtml = self::e($company);
        $chooseLanguage = self::e($t['chooselanguage']);
        $headOutput = $page['headOutput'] ?? '';
        $headerOutput = $page['headerOutput'] ?? '';
        $footerOutput = $page['footerOutput'] ?? '';
        $jsToken = json_encode($token);
        $jsLocale = json_encode($t['locale']);
        return <<<HTML
<!DOCTYPE html>
<html lang="$lang">
<head>
    <meta charset="utf-8" />
    <meta http-equiv="X-UA-Compatible" content="IE=edge">
    <meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
    <title>$title</title>
    <link rel="icon" href="data:,">
    <link href="/templates/twenty-one/css/bootstrap.min.css" rel="stylesheet">
    <link href="/templates/twenty-one/css/theme.css" rel="stylesheet">
    <script>
        var csrfToken = $jsToken,
            markdownGuide = 'Markdown Guide',
            locale = $jsLocale,
            saved = 'saved',
            saving = 'autosaving',
            whmcsBaseUrl = "";
    </script>
    <script src="/templates/twenty-one/js/jquery.min.js"></script>
    <script src="/templates/twenty-one/js/bootstrap.bundle.min.js"></script>
$headOutput
</head>
<body class="$bodyClass" data-phone-cc-input="1">
$headerOutput
<header id="header" class="header">
    <div class="navbar navbar-expand-lg navbar-dark main-navbar-wrapper">
        <div class="container">
            <a class="navbar-brand mr-3" href="clientarea.php">$companyHtml</a>
            <ul class="navbar-nav mr-auto" id="nav">$nav</ul>
            <ul class="navbar-nav ml-auto">$account</ul>
        </div>
    </div>
</header>
<nav class="master-breadcrumb" aria-label="breadcrumb">
    <div class="container"><ol class="breadcrumb">$crumbs</ol></div>
</nav>
<section id="main-body">
    <div class="container">
        <div class="row">$main</div>
    </div>
</section>
<footer id="footer" class="footer">
    <div class="container">
        <div class="dropdown dropup d-inline-block" id="languageChooser">
            <button type="button" class="btn btn-sm btn-outline-light dropdown-toggle" data-toggle="dropdown" aria-haspopup="true" aria-expanded="false">$chooseLanguage</button>
            <div class="dropdown-menu">$languages</div>
        </div>
        <p class="copyright mb-0 mt-2">Copyright &copy; $companyHtml. WHMCS stand-in (tests/whmcs/web), twenty-one layout.</p>
    </div>
</footer>
$footerOutput
</body>
</html>
HTML;
    }

    /** The current request URL (path + query) with some query parameters replaced. */
    public static function currentUrlWith(array $replace): string
    {
        $uri = (string) ($_SERVER['REQUEST_URI'] ?? '/');
        $path = (string) (parse_url($uri, PHP_URL_PATH) ?? '/');
        parse_str((string) (parse_url($uri, PHP_URL_QUERY) ?? ''), $query);
        $query = array_merge($query, $replace);
        return $path . ($query !== [] ? '?' . http_build_query($query) : '');
    }
}

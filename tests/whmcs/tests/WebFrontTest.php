<?php
/**
 * The stand-in's web front (tests/whmcs/web) over real HTTP: PHP's built-in server on loopback
 * with the web fixture module (fixtures/web), sharing this test's database. Login, ownership,
 * CSRF, custom-action routing, single sign-on, language, static files and path traversal.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WHMCS\Config\Setting;
use WHMCS\Database\Capsule;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Csrf;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Web\StaticFiles;

final class WebFrontTest extends StandInTestCase
{
    private const WEB_FIXTURE_MODULE = __DIR__ . '/fixtures/web';
    private const PASSWORD = 'Web-Front-Pass-1';

    /** @var resource|null */
    private static $server = null;
    private static string $baseUrl = '';
    private static string $root = '';
    private static string $outside = '';
    private static string $log = '';

    /** @var array<string, string> */
    private array $cookies = [];

    public static function setUpBeforeClass(): void
    {
        $dsn = Environment::dsn();
        if (str_contains($dsn, ':memory:')) {
            return;   // tests skip: the web server cannot share an in-memory database
        }
        $tmp = sys_get_temp_dir() . '/whmcs-web-test-' . getmypid() . '-' . bin2hex(random_bytes(3));
        self::$root = "$tmp/root";
        self::$outside = "$tmp/outside";
        $vendor = "$tmp/vendor";
        foreach ([self::$root, self::$outside, "$vendor/bootstrap/dist/css", "$vendor/bootstrap/dist/js", "$vendor/jquery/dist"] as $dir) {
            mkdir($dir, 0777, true);
        }
        file_put_contents("$vendor/bootstrap/dist/css/bootstrap.min.css", '/* fake bootstrap */');
        file_put_contents(self::$outside . '/secret.css', '/* outside the root */');
        symlink(self::$outside, self::$root . '/outside-link');
        file_put_contents(self::$root . '/visible.css', '/* inside the root */');

        $port = self::freePort();
        self::$baseUrl = "http://127.0.0.1:$port";
        self::$log = "$tmp/web.log";
        $env = getenv() + [];
        $env['WHMCS_DB_DSN'] = $dsn;
        $env['WHMCS_ROOTDIR'] = self::$root;
        $env['WHMCS_MODULE_DIR'] = self::WEB_FIXTURE_MODULE;
        $env['WHMCS_WEB_VENDOR_DIR'] = $vendor;
        $web = dirname(__DIR__) . '/web';
        self::$server = proc_open(
            [PHP_BINARY, '-S', "127.0.0.1:$port", '-t', self::$root, "$web/router.php"],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', self::$log, 'a'], 2 => ['file', self::$log, 'a']],
            $pipes,
            null,
            $env,
        );
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline) {
            $socket = @fsockopen('127.0.0.1', $port, $errno, $errstr, 0.2);
            if ($socket !== false) {
                fclose($socket);
                return;
            }
            usleep(100_000);
        }
        self::fail('the web front did not start: ' . @file_get_contents(self::$log));
    }

    public static function tearDownAfterClass(): void
    {
        if (is_resource(self::$server)) {
            proc_terminate(self::$server);
            proc_close(self::$server);
        }
        self::$server = null;
        if (self::$root !== '') {
            exec('rm -rf ' . escapeshellarg(dirname(self::$root)));
        }
    }

    protected function setUp(): void
    {
        parent::setUp();
        if (self::$server === null) {
            $this->markTestSkipped('the web front needs a database file or server it can share (not sqlite::memory:)');
        }
        $this->cookies = [];
    }

    // ---- login

    public function testLoginChecksThePasswordAndStartsAClientSession(): void
    {
        $client = Fixtures::client(['email' => 'web@example.test', 'password' => self::PASSWORD]);
        $this->assertTrue(password_verify(self::PASSWORD, (string) Capsule::table('tblclients')->where('id', $client->id)->value('password')),
            'Fixtures::client stores a plain password hashed');

        $wrong = $this->login('web@example.test', 'not-the-password');
        $this->assertSame(200, $wrong['status']);
        $this->assertStringContainsString('Login Details Incorrect. Please try again.', $wrong['body']);
        $this->assertStringContainsString('id="alertLoginFailed"', $wrong['body']);

        $right = $this->login('WEB@example.test', self::PASSWORD);
        $this->assertSame(302, $right['status']);
        $this->assertSame('clientarea.php', $right['headers']['location']);
        $home = $this->get('/clientarea.php');
        $this->assertSame(200, $home['status']);
        $this->assertStringContainsString('Ada Lovelace', $home['body']);
        $this->assertStringContainsString('logout.php', $home['body']);
        $this->assertNotNull(Capsule::table('tblclients')->where('id', $client->id)->value('lastlogin'));

        $this->assertSame(302, $this->get('/login.php')['status'], 'a logged-in client is sent on from login.php');
        $this->assertStringContainsString('successfully logged out', $this->get('/logout.php')['body']);
        $this->assertSame(302, $this->get('/clientarea.php')['status'], 'logged out');
    }

    public function testClosedClientCannotLogIn(): void
    {
        Fixtures::client(['email' => 'closed@example.test', 'password' => self::PASSWORD, 'status' => 'Closed']);
        $this->assertStringContainsString('Login Details Incorrect', $this->login('closed@example.test', self::PASSWORD)['body']);
    }

    public function testLoginSendsTheClientBackToThePageTheyAskedFor(): void
    {
        [, $service] = $this->clientWithService();
        $url = '/clientarea.php?action=productdetails&id=' . $service;
        $first = $this->get($url);
        $this->assertSame(302, $first['status']);
        $this->assertSame('login.php', $first['headers']['location']);
        $this->assertNotContains('webfixture: ClientArea', ActivityLog::descriptions());

        $login = $this->login('owner@example.test', self::PASSWORD);
        $this->assertSame($url, $login['headers']['location']);
    }

    // ---- ownership and the product page

    public function testProductPageShowsTheServiceAndTheModuleOutput(): void
    {
        [, $service] = $this->clientWithService(loggedIn: true);
        $page = $this->get('/clientarea.php?action=productdetails&id=' . $service);

        $this->assertSame(200, $page['status']);
        $body = $page['body'];
        $this->assertStringContainsString('Cloud Server S', $body);
        $this->assertStringContainsString('data-status="Active"', $body);
        $this->assertStringContainsString('$12.00 USD', $body, 'first payment');
        $this->assertStringContainsString('$10.00 USD', $body, 'recurring amount');
        $this->assertStringContainsString('Monthly', $body);
        $this->assertStringContainsString(date('d/m/Y', strtotime('+1 month')), $body, 'next due date');
        $this->assertMatchesRegularExpression('/class="text-center module-client-area"><div class="fixture-output" data-service="' . $service . '"/', $body);
        $this->assertStringContainsString('data-clientarea="yes"', $body, 'CLIENTAREA is defined');
        $this->assertSame($this->csrfToken($body), $this->attr($body, 'fixture-output', 'data-token'), 'generate_token(plain) is the page token');
        $this->assertStringContainsString('<meta name="webfixture-head" content="clientareaproductdetails">', $body, 'ClientAreaHeadOutput');
        $this->assertStringContainsString('<div id="webfixture-footer"></div>', $body, 'ClientAreaFooterOutput');
        $this->assertStringContainsString('/templates/twenty-one/js/jquery.min.js', $body);
        $this->assertStringContainsString('id="Primary_Sidebar-Service_Details_Actions-Custom_Module_Button_Start_VM"', $body);
        $this->assertStringNotContainsString('dosinglesignon', $body, 'README fact 10: no sidebar link from ServiceSingleSignOnLabel');
        $this->assertContains('webfixture: ClientArea', ActivityLog::descriptions());
    }

    /** README fact 7. */
    public function testFact07TheModuleOutputIsShownOnlyForAnActiveService(): void
    {
        [, $service] = $this->clientWithService(loggedIn: true);
        foreach (['Suspended', 'Terminated', 'Pending'] as $status) {
            \WHMCS\Database\Capsule::table('tblhosting')->where('id', $service)->update(['domainstatus' => $status]);
            \WHMCS\Database\Capsule::table('tblactivitylog')->delete();
            $body = $this->get('/clientarea.php?action=productdetails&id=' . $service)['body'];
            $this->assertStringContainsString('data-status="' . $status . '"', $body);
            $this->assertStringNotContainsString('fixture-output', $body, "$status: the output is thrown away");
            $this->assertContains('webfixture: ClientArea', ActivityLog::descriptions(), "$status: ClientArea is still called");
        }
    }

    /** README fact 8. */
    public function testFact08CustomFunctionsRunOnlyForAnActiveServiceWithNoCsrfCheck(): void
    {
        [, $service] = $this->clientWithService(loggedIn: true);
        $url = '/clientarea.php?action=productdetails&id=' . $service . '&modop=custom&a=StartVm';
        $ok = $this->post($url, []);
        $this->assertStringContainsString('Action Completed Successfully', $ok['body'], 'WHMCS does no check_token on a custom function');

        \WHMCS\Database\Capsule::table('tblhosting')->where('id', $service)->update(['domainstatus' => 'Suspended']);
        \WHMCS\Database\Capsule::table('tblactivitylog')->delete();
        $refused = $this->get($url);
        $this->assertStringContainsString(self::themeString('productMustBeActiveForModuleCmds'), html_entity_decode($refused['body'], ENT_QUOTES));
        $this->assertNotContains('webfixture: StartVm', ActivityLog::descriptions());
    }

    /** README fact 9. */
    public function testFact09AnExceptionFromClientAreaOrACustomFunctionIsTheOopsPage(): void
    {
        [, $service] = $this->clientWithService(loggedIn: true);
        Setting::setValue('webfixture_clientarea', 'throw');
        $page = $this->get('/clientarea.php?action=productdetails&id=' . $service);
        $this->assertSame(500, $page['status']);
        $this->assertStringContainsString('Oops! Something went wrong', $page['body']);
        $this->assertStringNotContainsString('Cloud Server S', $page['body'], 'not the product page');
        $this->assertStringNotContainsString('fixture ClientArea failure', $page['body'], 'the exception text is not shown to the client');

        Setting::setValue('webfixture_clientarea', 'string');
        Setting::setValue('webfixture_result', 'throw');
        $action = $this->get('/clientarea.php?action=productdetails&id=' . $service . '&modop=custom&a=StartVm');
        $this->assertSame(500, $action['status']);
        $this->assertStringContainsString('Oops! Something went wrong', $action['body']);
    }

    public function testAnotherClientsServiceIsNotShownAndRunsNoModuleCode(): void
    {
        [, $service] = $this->clientWithService();
        Fixtures::client(['email' => 'other@example.test', 'password' => self::PASSWORD]);
        $this->login('other@example.test', self::PASSWORD);

        foreach (['', '&modop=custom&a=StartVm', '&dosinglesignon=1'] as $extra) {
            $page = $this->get('/clientarea.php?action=productdetails&id=' . $service . $extra);
            $this->assertSame(302, $page['status']);
            $this->assertSame('clientarea.php?action=products', $page['headers']['location']);
        }
        $this->assertSame(302, $this->get('/clientarea.php?action=productdetails&id=99999')['status']);
        $this->assertSame([], array_values(array_filter(ActivityLog::descriptions(), fn ($d) => str_starts_with($d, 'webfixture:'))));
    }

    public function testClientAreaTemplatesAreRenderedWithTheirVariables(): void
    {
        [, $service] = $this->clientWithService(loggedIn: true);
        Setting::setValue('webfixture_clientarea', 'array');
        $body = $this->get('/clientarea.php?action=productdetails&id=' . $service)['body'];
        $this->assertStringContainsString('<div class="fixture-template">Hello from a template for service ' . $service . '</div>', $body);
        $this->assertStringContainsString('Registration Date', $body);

        Setting::setValue('webfixture_clientarea', 'replace');
        $body = $this->get('/clientarea.php?action=productdetails&id=' . $service)['body'];
        $this->assertStringContainsString('Replaced overview for service ' . $service, $body);
        $this->assertStringNotContainsString('Registration Date', $body, 'the replacement template replaces the overview');
    }

    // ---- CSRF

    /** README fact 11. */
    public function testFact11APostWhoseTokenFailsEndsTheSession(): void
    {
        [, $service] = $this->clientWithService(loggedIn: true);
        $url = '/clientarea.php?action=productdetails&id=' . $service . '&dosinglesignon=1';

        foreach ([[], ['token' => ''], ['token' => str_repeat('0', 40)]] as $fields) {
            $page = $this->post($url, $fields);
            $this->assertSame(302, $page['status']);
            $this->assertSame('login.php', $page['headers']['location']);
            $this->assertSame(302, $this->get('/clientarea.php')['status'], 'logged out');
            $this->assertSame(302, $this->login('owner@example.test', self::PASSWORD)['status']);
        }
        $this->assertNotContains('webfixture: ServiceSingleSignOn', ActivityLog::descriptions());

        $this->cookies = [];
        $login = $this->post('/login.php', ['username' => 'owner@example.test', 'password' => self::PASSWORD]);
        $this->assertSame('login.php', $login['headers']['location'] ?? null, 'the login form is protected too');
        $this->assertSame(302, $this->get('/clientarea.php')['status'], 'and nobody logged in');
    }

    public function testGenerateTokenShapes(): void
    {
        $plain = generate_token('plain');
        $this->assertMatchesRegularExpression('/^[0-9a-f]{40}$/', $plain);
        $this->assertSame($plain, Csrf::token(), 'one token per session');
        $this->assertSame('<input type="hidden" name="token" value="' . $plain . '" />', generate_token());
        $this->assertSame('&token=' . $plain, generate_token('link'));
        $this->assertTrue(Csrf::isValid($plain));
        $this->assertFalse(Csrf::isValid('x' . $plain));
    }

    // ---- custom actions

    public function testCustomActionsRunOnlyAllowedFunctionsAndShowTheResult(): void
    {
        [, $service] = $this->clientWithService(loggedIn: true);
        $base = '/clientarea.php?action=productdetails&id=' . $service;
        $token = $this->csrfToken($this->get($base)['body']);

        $ok = $this->post($base . '&modop=custom&a=StartVm', ['token' => $token]);
        $this->assertSame(200, $ok['status']);
        $this->assertStringContainsString('id="alertModuleCustomButtonSuccess" role="alert">Action Completed Successfully</div>', $ok['body']);
        $this->assertStringContainsString('class="fixture-output"', $ok['body'], 'the page is rendered after the action');
        $calls = array_values(array_filter(ActivityLog::descriptions(), fn ($d) => str_starts_with($d, 'webfixture:')));
        $this->assertContains('webfixture: StartVm', $calls);

        Setting::setValue('webfixture_result', 'It broke <b>badly</b>');
        $failed = $this->post('/clientarea.php', ['action' => 'productdetails', 'id' => (string) $service, 'modop' => 'custom', 'a' => 'StartVm', 'token' => $token]);
        $this->assertStringContainsString('id="alertModuleCustomButtonFailed" role="alert">Action Failed: It broke &lt;b&gt;badly&lt;/b&gt;</div>', $failed['body']);

        $get = $this->get($base . '&modop=custom&a=StartVm');
        $this->assertStringContainsString('Action Failed: It broke', $get['body'], 'GET reaches a custom function too, as in WHMCS');

        $secret = $this->post($base . '&modop=custom&a=Secret', ['token' => $token]);
        $this->assertStringContainsString('Action Failed: Function Not Allowed', $secret['body']);
        $this->assertStringContainsString('Action Failed: Function Not Allowed', $this->get($base . '&modop=custom&a=..%2Fetc')['body']);
        $this->assertNotContains('webfixture: Secret', ActivityLog::descriptions());
    }

    public function testAnAllowedFunctionMayAnswerTheRequestItself(): void
    {
        [, $service] = $this->clientWithService(loggedIn: true);
        $poll = $this->get('/clientarea.php?action=productdetails&id=' . $service . '&modop=custom&a=Poll');

        $this->assertSame(200, $poll['status']);
        $this->assertStringStartsWith('application/json', $poll['headers']['content-type']);
        $this->assertSame(['service' => $service, 'state' => 'started'], json_decode($poll['body'], true));
    }

    // ---- single sign-on

    public function testFact10SingleSignOnRedirectsOrShowsTheGenericSentence(): void
    {
        [, $service] = $this->clientWithService(loggedIn: true);
        $base = '/clientarea.php?action=productdetails&id=' . $service;
        $token = $this->csrfToken($this->get($base)['body']);

        $ok = $this->post($base . '&dosinglesignon=1', ['token' => $token]);
        $this->assertSame(302, $ok['status']);
        $this->assertSame('https://console.example.test/session/' . $service, $ok['headers']['location']);
        $this->assertSame(302, $this->get($base . '&dosinglesignon=1')['status'], 'GET works too');

        // README fact 10: the client sees WHMCS's generic sentence, never the module's errorMsg.
        $generic = 'id="alertSsoFailed" role="alert">' . htmlspecialchars(self::themeString('ssounabletologin'), ENT_QUOTES) . '</div>';
        Setting::setValue('webfixture_sso', 'fail');
        $failed = $this->post($base . '&dosinglesignon=1', ['token' => $token]);
        $this->assertSame(200, $failed['status']);
        $this->assertStringContainsString($generic, $failed['body']);
        $this->assertStringNotContainsString('The console is not available', $failed['body']);
        $this->assertStringContainsString('Cloud Server S', $failed['body']);

        Setting::setValue('webfixture_sso', 'throw');
        $this->assertStringContainsString($generic, $this->get($base . '&dosinglesignon=1')['body']);
    }

    // ---- language

    public function testLanguageSwitchSetsTheSessionAndTheClientsPreference(): void
    {
        [$client, $service] = $this->clientWithService(loggedIn: true);
        $url = '/clientarea.php?action=productdetails&id=' . $service;

        $german = $this->get($url . '&language=german')['body'];
        $this->assertStringContainsString('<html lang="de">', $german);
        $this->assertStringContainsString('data-language="german"', $german, 'the module sees $_SESSION[Language]');
        $this->assertStringContainsString('Produkt verwalten', $german);
        $this->assertSame('german', Capsule::table('tblclients')->where('id', $client)->value('language'));
        $this->assertStringContainsString('data-language="german"', $this->get($url)['body'], 'it stays for the session');

        $this->assertStringContainsString('data-language="german"', $this->get($url . '&language=../../etc/passwd')['body'], 'unknown languages are ignored');

        $this->get('/logout.php');
        $this->login('owner@example.test', self::PASSWORD);
        $this->assertStringContainsString('data-language="german"', $this->get($url)['body'], 'the saved preference applies at login');
        $this->assertStringContainsString('<html lang="en">', $this->get($url . '&language=english')['body']);
    }

    // ---- static files

    public function testStaticFilesAreServedFromTheRootAndTheModule(): void
    {
        $css = $this->get('/modules/servers/katapult/assets/fixture.css');
        $this->assertSame(200, $css['status']);
        $this->assertStringStartsWith('text/css', $css['headers']['content-type']);
        $this->assertStringContainsString('.fixture-output', $css['body']);

        $this->assertSame('/* inside the root */', $this->get('/visible.css')['body']);
        $theme = $this->get('/templates/twenty-one/css/bootstrap.min.css');
        $this->assertSame(200, $theme['status']);
        $this->assertSame('/* fake bootstrap */', $theme['body']);
        $this->assertSame(404, $this->get('/templates/twenty-one/js/jquery.min.js')['status'], 'missing vendor file');
    }

    public function testPathTraversalAndNonStaticFilesAreRefused(): void
    {
        foreach ([
            '/modules/servers/katapult/../../../configuration.php',
            '/modules/servers/katapult/../../../../../../etc/passwd',
            '/%2e%2e/%2e%2e/%2e%2e/etc/hostname.css',
            '/modules/servers/katapult/assets/..%2f..%2fkatapult.php',
            '/modules/servers/katapult/..%5c..%5cconfiguration.php',
            '/configuration.php',
            '/modules/servers/katapult/katapult.php',
            '/modules/servers/katapult/clientarea.tpl',
            '/modules/servers/katapult/assets/../assets/fixture.css',
            '/modules/servers/katapult//assets/fixture.css',
            '/outside-link/secret.css',
            '/.hidden.css',
            '/sessions/',
            '/nothing-here.css',
        ] as $path) {
            $response = $this->get($path);
            $this->assertSame(404, $response['status'], $path);
            $this->assertStringNotContainsString('outside the root', $response['body'], $path);
            $this->assertStringNotContainsString('cc_encryption_hash', $response['body'], $path);
        }
    }

    public function testResolveKeepsFilesInsideTheRootOrALoadedModule(): void
    {
        require_once dirname(__DIR__) . '/web/lib/StaticFiles.php';
        $this->assertSame(self::$root . '/visible.css', StaticFiles::resolve('/visible.css', self::$root));
        $this->assertNull(StaticFiles::resolve('/outside-link/secret.css', self::$root));
        $this->assertSame(self::$outside . '/secret.css', StaticFiles::resolve('/outside-link/secret.css', self::$root, [self::$outside]));
        $this->assertNull(StaticFiles::resolve('/outside-link/../visible.css', self::$root, [self::$outside]));
        $this->assertNull(StaticFiles::resolve("/visible.css\0.png", self::$root));
        $this->assertNull(StaticFiles::resolve('visible.css', self::$root));
    }

    // ---- helpers

    /** A theme string of the web front, in English. */
    private static function themeString(string $key): string
    {
        require_once dirname(__DIR__) . '/web/lib/Language.php';
        return \WhmcsStandIn\Web\Language::get($key);
    }

    /** @return array{0: int, 1: int} [client id, service id] of an Active service "Cloud Server S" */
    private function clientWithService(bool $loggedIn = false): array
    {
        $client = Fixtures::client(['email' => 'owner@example.test', 'password' => self::PASSWORD]);
        $product = Fixtures::product(['name' => 'Cloud Server S', 'configoption1' => 'rock-3']);
        Fixtures::server();
        $service = Fixtures::service($client, $product, ['domain' => 'web1.example.test', 'domainstatus' => 'Active',
            'firstpaymentamount' => '12.00', 'amount' => '10.00']);
        if ($loggedIn) {
            $this->assertSame(302, $this->login('owner@example.test', self::PASSWORD)['status']);
        }
        return [(int) $client->id, (int) $service->id];
    }

    /** @return array{status: int, headers: array<string, string>, body: string} */
    private function login(string $email, string $password): array
    {
        $form = $this->get('/login.php')['body'];
        $this->assertMatchesRegularExpression('/name="token" value="([0-9a-f]{40})"/', $form);
        preg_match('/name="token" value="([0-9a-f]{40})"/', $form, $m);
        return $this->post('/login.php', ['username' => $email, 'password' => $password, 'token' => $m[1]]);
    }

    private function csrfToken(string $html): string
    {
        $this->assertMatchesRegularExpression('/var csrfToken = "([0-9a-f]{40})"/', $html);
        preg_match('/var csrfToken = "([0-9a-f]{40})"/', $html, $m);
        return $m[1];
    }

    private function attr(string $html, string $class, string $attribute): string
    {
        preg_match('/class="' . preg_quote($class, '/') . '"[^>]*\s' . preg_quote($attribute, '/') . '="([^"]*)"/', $html, $m);
        return $m[1] ?? '';
    }

    /** @return array{status: int, headers: array<string, string>, body: string} */
    private function get(string $path): array
    {
        return $this->request('GET', $path);
    }

    /** @param array<string, string> $fields */
    private function post(string $path, array $fields): array
    {
        return $this->request('POST', $path, http_build_query($fields));
    }

    /** @return array{status: int, headers: array<string, string>, body: string} */
    private function request(string $method, string $path, ?string $body = null): array
    {
        $headers = [];
        $ch = curl_init(self::$baseUrl . $path);
        $cookie = implode('; ', array_map(fn ($k, $v) => "$k=$v", array_keys($this->cookies), $this->cookies));
        curl_setopt_array($ch, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PATH_AS_IS => true,
            CURLOPT_TIMEOUT => 20,
            CURLOPT_HTTPHEADER => $cookie !== '' ? ['Cookie: ' . $cookie] : [],
            CURLOPT_HEADERFUNCTION => function ($ch, string $line) use (&$headers): int {
                if (str_contains($line, ':')) {
                    [$name, $value] = explode(':', $line, 2);
                    $name = strtolower(trim($name));
                    $value = trim($value);
                    if ($name === 'set-cookie') {
                        [$pair] = explode(';', $value, 2);
                        [$k, $v] = array_pad(explode('=', $pair, 2), 2, '');
                        if ($v === '' || $v === 'deleted') {
                            unset($this->cookies[$k]);
                        } else {
                            $this->cookies[$k] = $v;
                        }
                    }
                    $headers[$name] = $value;
                }
                return strlen($line);
            },
        ]);
        if ($body !== null) {
            curl_setopt($ch, CURLOPT_POSTFIELDS, $body);
        }
        $response = curl_exec($ch);
        $this->assertIsString($response, "$method $path: " . curl_error($ch));
        return ['status' => (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE), 'headers' => $headers, 'body' => $response];
    }

    private static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $name = (string) stream_socket_get_name($socket, false);
        fclose($socket);
        return (int) substr($name, (int) strrpos($name, ':') + 1);
    }
}

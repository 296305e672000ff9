<?php
declare(strict_types=1);

use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;
use WHMCS\Database\Capsule;

/**
 * After the whole life of a service (secrets/life.php, in a child process), neither the API key
 * nor a root password is in clear anywhere it could leak: the module log, the activity log, the
 * datastore, any other WHMCS table (the encrypted service password aside), the rendered HTML,
 * PHP's error log, or the process's output.
 */
final class SecretsTest extends TestCase
{
    public function testNoSecretIsLeftInLogsDatastoreHtmlOrOutput(): void
    {
        // A key as distinctive as a real one, so any copy of it is found.
        $apiKey = 'kat-' . bin2hex(random_bytes(20));
        $sim = new Simulator(['--token', $apiKey]);
        $out = sys_get_temp_dir() . '/katapult-secrets-' . getmypid();
        @mkdir($out);
        $errorLog = "$out/php-errors.log";
        touch($errorLog);
        try {
            $command = [
                PHP_BINARY, '-d', 'extension=' . (getenv('KATAPULT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libkatapult.so'),
                '-d', 'log_errors=1', '-d', "error_log=$errorLog", '-d', 'display_errors=stderr', '-d', 'error_reporting=-1',
                '-d', 'katapult.suspend_grace=2', '-d', 'katapult.timeout=3',
                __DIR__ . '/secrets/life.php', $apiKey, $out,
            ];
            $env = ['KATAPULT_API_URL' => $sim->baseUrl] + getenv();
            $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
            $stdout = stream_get_contents($pipes[1]);
            $stderr = stream_get_contents($pipes[2]);
            $status = proc_close($process);
            $this->assertSame(0, $status, "the life ended early:\n$stdout\n$stderr");
            $this->assertStringContainsString('life complete', $stdout);
            $this->assertStringContainsString('StopVm while Katapult is down: an error string', $stdout, 'failures were on the way');
            $this->assertStringContainsString('TestConnection with a wrong key', $stdout);

            $passwords = json_decode((string) file_get_contents("$out/passwords.json"), true, 512, JSON_THROW_ON_ERROR);
            $this->assertNotEmpty($passwords, 'the VM\'s root password was seen');
            // The search works: the Show button's answer is the one place the password belongs.
            $this->assertStringContainsString(json_encode($passwords[0]), (string) file_get_contents("$out/reveal.json"));

            $places = [
                'stdout' => $stdout,
                'stderr' => $stderr,
                "PHP's error log" => (string) file_get_contents($errorLog),
                'the client-area page' => (string) file_get_contents("$out/page.html"),
                'the panel poll' => (string) file_get_contents("$out/live.json"),
                'the admin tab' => (string) file_get_contents("$out/admin.html"),
            ];
            foreach (self::tables() as $table => $rows) {
                $places["table $table"] = $rows;
            }
            $this->assertNotSame('', $places['table tblmodulelog'], 'the module log recorded the API exchanges');
            $this->assertNotSame('', $places['table tblactivitylog']);
            $this->assertNotSame('', $places['table mod_salmon_data_store_items']);

            $secrets = ['the API key' => $apiKey];
            foreach ($passwords as $i => $password) {
                $secrets["root password #$i"] = $password;
                // An error that quotes the start of a body cut mid-password leaks its beginning.
                $secrets["the start of root password #$i"] = substr($password, 0, 8);
            }
            $found = [];
            foreach ($places as $place => $text) {
                foreach ($secrets as $name => $secret) {
                    foreach (self::forms($secret) as $form) {
                        if (str_contains($text, $form)) {
                            $found[] = "$name in $place";
                            break;
                        }
                    }
                }
            }
            $this->assertSame([], $found);
        } finally {
            $sim->stop();
            array_map('unlink', glob("$out/*") ?: []);
            @rmdir($out);
        }
    }

    /**
     * Every WHMCS and module table as text, but the columns where WHMCS keeps secrets encrypted.
     *
     * @return array<string, string>
     */
    private static function tables(): array
    {
        $encrypted = ['tblhosting' => ['password'], 'tblservers' => ['password']];
        $texts = [];
        foreach (WhmcsStandIn\Environment::allTables() as $table) {
            $rows = Capsule::table($table)->get()->map(fn ($row) => array_diff_key((array) $row, array_flip($encrypted[$table] ?? [])));
            $texts[$table] = json_encode($rows->all(), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n" . implode("\n", $rows->flatten()->map(fn ($v) => (string) $v)->all());
        }
        return $texts;
    }

    /** A secret as it would appear written down: as it is, JSON-escaped, URL-encoded, HTML-escaped. */
    private static function forms(string $secret): array
    {
        return array_unique([$secret, trim(json_encode($secret), '"'), rawurlencode($secret), htmlspecialchars($secret, ENT_QUOTES)]);
    }
}

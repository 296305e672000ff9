<?php
declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;

/**
 * The module in a PHP that lacks the extension: WHMCS includes katapult.php with no catch on every
 * product's edit page, Setup > Servers and the daily usage update, and the cron's PHP is often not
 * the web server's. Nothing may throw there, the admin must see why Katapult does not work, and
 * the cron must say which PHP lacks the extension.
 */
final class WithoutExtensionTest extends TestCase
{
    protected function setUp(): void
    {
        Environment::reset();
        if (str_contains((string) getenv('WHMCS_DB_DSN'), ':memory:')) {
            $this->markTestSkipped('the child process needs a database it can share');
        }
    }

    /** @return array<string, mixed> what the extension-less PHP saw */
    private function requestsWithoutTheExtension(int $productId): array
    {
        // PHP_BINARY with only its own ini: the extension this PHPUnit was given by -d is not there.
        $command = [PHP_BINARY, __DIR__ . '/without-extension/requests.php', (string) $productId];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $stdout = (string) stream_get_contents($pipes[1]);
        $stderr = (string) stream_get_contents($pipes[2]);
        $status = proc_close($process);
        $this->assertSame(0, $status, "$stdout\n$stderr");
        $this->assertSame('', $stderr, 'no warning, no notice');
        return json_decode($stdout, true, 512, JSON_THROW_ON_ERROR);
    }

    public function testTheModuleLoadsCleanlyThroughEveryPageThatIncludesItAndSaysWhatIsMissing(): void
    {
        $product = (int) Fixtures::product(['servertype' => 'katapult'])->id;
        Fixtures::server(['name' => 'Katapult']);

        $seen = $this->requestsWithoutTheExtension($product);

        $this->assertFalse($seen['extension_loaded']);
        $this->assertArrayNotHasKey('thrown', $seen);
        $this->assertSame(['katapult_metadata', 'katapult_configoptions'], $seen['functions'], 'only what the pages read');
        $this->assertSame(['katapult' => 'Katapult (katapult PHP extension missing)'], $seen['product edit page']);
        $this->assertSame('Katapult (katapult PHP extension missing)', $seen['servers page'][0]['module']);
        $this->assertCount(1, $seen['module settings'], 'one field');
        $field = array_values($seen['module settings'])[0];
        $this->assertStringContainsString('php --ri katapult', $field['field']['Description']);
        $this->assertStringContainsString('Install it', $field['field']['Description']);
        $this->assertSame(['PreCronJob', 'DailyCronJob', 'AfterCronJob'], $seen['daily cron']);
        $this->assertSame([], ActivityLog::descriptions(), 'no Katapult service: nothing to say');
    }

    public function testADailyCronWithoutTheExtensionLogsOneLineNamingThePhpWhileKatapultServicesExist(): void
    {
        $product = Fixtures::product(['servertype' => 'katapult']);
        Fixtures::server();
        Fixtures::service(Fixtures::client(), $product, ['domainstatus' => 'Active']);

        $this->requestsWithoutTheExtension((int) $product->id);

        $lines = array_values(array_filter(ActivityLog::descriptions(), static fn (string $d) => str_contains($d, 'katapult PHP extension')));
        $this->assertCount(1, $lines, 'one line a day, though the daily cron ran twice');
        $this->assertStringContainsString('is not loaded in ' . PHP_BINARY, $lines[0]);
        $this->assertStringContainsString('--ri katapult', $lines[0]);
    }
}

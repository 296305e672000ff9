<?php
declare(strict_types=1);

use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Module;
use WhmcsStandIn\SalmonDataStore;

/**
 * Two cron processes at once (a long run meeting the next, or two web nodes) over many pending
 * builds: each VM is written into WHMCS once and each Built hook fires once. Real processes on
 * the same database, as in production.
 */
final class OverlappingCronTest extends TestCase
{
    private const SERVICES = 200;

    public function testTwoCronProcessesPersistEachBuildOnce(): void
    {
        $sim = Simulator::forTheModule(['--rate-limit', '100000']); // 800+ calls: keep the client's pacing out of this test
        try {
            Environment::reset();
            $product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
            $_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
            run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
            $_POST = [];
            Fixtures::server();
            $clients = array_map(fn () => Fixtures::client(), range(1, 10));
            $services = [];
            for ($i = 0; $i < self::SERVICES; $i++) {
                $service = (int) Fixtures::service($clients[$i % 10], $product, ['domain' => "node$i.example.com"])->id;
                $this->assertSame('success', Module::runModuleCommand('CreateAccount', $service));
                $services[] = $service;
            }
            usleep(1_000_000); // the simulator's fast builds complete within a second

            $deadline = microtime(true) + 120;
            do {
                [$first, $second] = [$this->startCron(), $this->startCron()];
                $this->finish($first);
                $this->finish($second);
                $pending = WHMCS\Database\Capsule::table('tblhosting')->where('username', '')->count();
            } while ($pending > 0 && microtime(true) < $deadline);
            $this->assertSame(0, $pending, 'every VM was written into WHMCS');

            $built = array_filter(ActivityLog::descriptions(), fn (string $line) => str_contains($line, ' is built ('));
            $this->assertCount(self::SERVICES, $built, 'each build persisted, and its Built hook fired, once');
            foreach ($services as $service) {
                $this->assertCount(1, array_filter($built, fn ($line) => str_starts_with($line, "[Katapult] Service ID $service: ")), "service $service");
                $this->assertNotEmpty(SalmonDataStore::get('service', $service, 'vm_id'));
            }
            $builds = $sim->stats()['builds_by_whmcs_service_id'];
            $this->assertCount(self::SERVICES, $builds);
            $this->assertSame([1], array_values(array_unique($builds)), 'one build per service');
        } finally {
            $sim->stop();
        }
    }

    /** @return array{0: resource, 1: array<int, resource>} */
    private function startCron(): array
    {
        $command = [PHP_BINARY, '-d', 'extension=' . (getenv('KATAPULT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libkatapult.so'), dirname(__DIR__) . '/whmcs/cron.php'];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $this->assertIsResource($process);
        return [$process, $pipes];
    }

    /** @param array{0: resource, 1: array<int, resource>} $cron */
    private function finish(array $cron): void
    {
        [$process, $pipes] = $cron;
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        $this->assertSame(0, proc_close($process), $out);
    }
}

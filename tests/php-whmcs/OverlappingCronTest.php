<?php
declare(strict_types=1);

use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Module;
use WhmcsStandIn\SalmonDataStore;
use WHMCS\Database\Capsule;

/**
 * Two cron processes at once (a long run meeting the next, or two web nodes) over many pending
 * builds: each VM is written into WHMCS once and each Built hook fires once. Real processes on
 * the same database, as in production.
 *
 * The overlap is proved, not assumed: the crons run with a provider hook file (in a WHMCS root of
 * their own) that notes each Built hook with its process and time, and takes 20 ms as a hook that
 * does real work would; both crons of the first pair must have announced builds, and the span of
 * one's announcements must meet the other's.
 */
final class OverlappingCronTest extends TestCase
{
    private const SERVICES = 200;
    private const NOTES = 'overlap_test_built';

    private string $cronRoot = '';

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
            $this->prepareCronRoot();

            // Until every VM is written in and announced: an announcement whose transaction met
            // the other run's writes (a deadlock, SQLite's busy database) is rolled back whole,
            // its hook's writes with it, and done again by a later run.
            $deadline = microtime(true) + 120;
            $pairs = [];
            do {
                [$first, $second] = [CronProcess::start($this->cronRoot), CronProcess::start($this->cronRoot)];
                $pairs[] = [$first->finish(), $second->finish()];
                $pending = Capsule::table('tblhosting')->where('username', '')->count();
                $due = Capsule::table('mod_salmon_data_store_items')->where('key', 'vm_built_announcement_due')->count();
            } while ($pending + $due > 0 && microtime(true) < $deadline);
            $this->assertSame(0, $pending, 'every VM was written into WHMCS');
            $this->assertSame(0, $due, 'every built VM announced');
            $this->assertTheFirstPairOverlapped($pairs[0]);
            $noted = Capsule::table(self::NOTES)->pluck('service_id')->map(fn ($id) => (int) $id)->all();
            sort($noted);
            $this->assertSame($services, $noted, "each service's Built hook wrote to the database once");

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
            Capsule::schema()->dropIfExists(self::NOTES);
            if ($this->cronRoot !== '') {
                exec('rm -rf ' . escapeshellarg($this->cronRoot));
            }
        }
    }

    /** Both crons announced builds, and their announcements interleaved in time. */
    private function assertTheFirstPairOverlapped(array $pids): void
    {
        $spans = [];
        foreach ($pids as $pid) {
            $times = Capsule::table(self::NOTES)->where('pid', $pid)->pluck('at')->map(fn ($at) => (float) $at)->all();
            $this->assertNotEmpty($times, "cron process $pid announced no build: the two runs did not share the work");
            $spans[] = [min($times), max($times)];
        }
        [[$firstFrom, $firstTo], [$secondFrom, $secondTo]] = $spans;
        $this->assertTrue(
            $firstFrom <= $secondTo && $secondFrom <= $firstTo,
            sprintf('the runs did not overlap: one announced from %.3f to %.3f, the other from %.3f to %.3f', $firstFrom, $firstTo, $secondFrom, $secondTo),
        );
    }

    /**
     * A WHMCS root for the cron processes (same database and secret) whose provider hook file
     * notes each Built hook: the process, the service and the time.
     */
    private function prepareCronRoot(): void
    {
        Capsule::schema()->dropIfExists(self::NOTES);
        Capsule::schema()->create(self::NOTES, function ($table): void {
            $table->increments('id');
            $table->integer('pid');
            $table->integer('service_id');
            $table->double('at');
        });
        $this->cronRoot = sys_get_temp_dir() . '/katapult-overlap-root-' . getmypid();
        @mkdir($this->cronRoot . '/includes/hooks', 0777, true);
        $notes = self::NOTES;
        file_put_contents($this->cronRoot . '/includes/hooks/overlap.php', <<<PHP
            <?php
            add_hook('KatapultVirtualMachineBuilt', 1, function (\$service) {
                usleep(20000);
                WHMCS\\Database\\Capsule::table('$notes')->insert(['pid' => getmypid(), 'service_id' => \$service->id, 'at' => microtime(true)]);
            });
            PHP);
    }
}

<?php
/** Base test case: a fresh stand-in database and the fixture module for every test. */

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use PHPUnit\Framework\TestCase;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Module;

abstract class StandInTestCase extends TestCase
{
    public const FIXTURE_MODULE = __DIR__ . '/fixtures/katapult';

    protected function setUp(): void
    {
        Module::load(self::FIXTURE_MODULE);
        Environment::reset();
        $GLOBALS['fixture_module_calls'] = [];
        $GLOBALS['fixture_module_results'] = [];
    }

    /** @return list<string> */
    protected function moduleCalls(): array
    {
        return array_column($GLOBALS['fixture_module_calls'], 'function');
    }

    protected function isMysql(): bool
    {
        return Environment::driver() === 'mysql';
    }
}

<?php
declare(strict_types=1);

/**
 * For a test class that runs each test in its own PHP process (@runTestsInSeparateProcesses),
 * as a WHMCS web request is: PHPUnit starts those processes with PHP_BINARY and none of the
 * parent's -d flags, so while the class runs, PHP_INI_SCAN_DIR gains a folder whose ini loads the
 * extension (setUpBeforeClass, undone in tearDownAfterClass, so later classes and their child
 * processes are as before).
 */
trait ExtensionInTestProcesses
{
    private const INI_FOLDER = 'katapult-clientarea-ini-';
    private static ?string $scanDirBefore = null;
    private static ?string $iniFolder = null;

    /** Runs in PHPUnit's own process (and again in each test's, where it finds the folder set). */
    public static function setUpBeforeClass(): void
    {
        $current = getenv('PHP_INI_SCAN_DIR');
        if ($current !== false && str_contains($current, self::INI_FOLDER)) {
            return; // a test's own process: the extension came from there
        }
        self::$iniFolder = sys_get_temp_dir() . '/' . self::INI_FOLDER . getmypid();
        if (!is_dir(self::$iniFolder)) {
            mkdir(self::$iniFolder);
        }
        file_put_contents(self::$iniFolder . '/katapult.ini', 'extension=' . self::extensionPath() . "\n");
        self::$scanDirBefore = $current === false ? null : $current;
        // A leading ':' keeps PHP's own scan folder (pdo_sqlite, pdo_mysql, …).
        putenv('PHP_INI_SCAN_DIR=' . ($current === false ? '' : $current) . ':' . self::$iniFolder);
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$iniFolder === null) {
            return;
        }
        putenv(self::$scanDirBefore === null ? 'PHP_INI_SCAN_DIR' : 'PHP_INI_SCAN_DIR=' . self::$scanDirBefore);
        @unlink(self::$iniFolder . '/katapult.ini');
        @rmdir(self::$iniFolder);
        self::$iniFolder = null;
    }

    private static function extensionPath(): string
    {
        return getenv('KATAPULT_EXT') ?: dirname(__DIR__, 3) . '/target/release/libkatapult.so';
    }
}

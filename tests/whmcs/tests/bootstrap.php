<?php
/** PHPUnit bootstrap for the WHMCS stand-in's own tests (TEST STAND-IN for proprietary WHMCS). */

declare(strict_types=1);

require __DIR__ . '/../bootstrap.php';
require __DIR__ . '/StandInTestCase.php';

<?php
declare(strict_types=1);

use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;

/**
 * FatalErrorInHookTest's cases as requests to one php-fpm worker, one after another: each fatal
 * error (or exit()) in a hook ends its request, the API still works from its shutdown function,
 * and the same worker serves the next request, the module's calls included, without crashing.
 * Needs php-fpm 8.2 (make bench installs it); the requests go over FastCGI, from here.
 */
final class FatalErrorInFpmWorkerTest extends TestCase
{
    private const FPM = '/usr/sbin/php-fpm8.2';

    public function testOneWorkerServesEveryCaseInTurnWithoutCrashing(): void
    {
        if (!is_executable(self::FPM)) {
            $this->markTestSkipped('php-fpm8.2 is not installed (make bench installs it)');
        }
        $sim = new Simulator();
        $work = sys_get_temp_dir() . '/katapult-fpm-' . getmypid();
        @mkdir($work);
        $fpm = null;
        try {
            $socket = stream_socket_server('tcp://127.0.0.1:0');
            $port = (int) substr((string) strrchr((string) stream_socket_get_name($socket, false), ':'), 1);
            fclose($socket);
            $extension = getenv('KATAPULT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libkatapult.so';
            file_put_contents("$work/php.ini", "extension=$extension\nmemory_limit=64M\ndisplay_errors=On\nlog_errors=On\nerror_log=$work/php.log\npcre.jit=0\n");
            $pool = "[global]\npid = $work/fpm.pid\nerror_log = $work/fpm.log\ndaemonize = no\n\n"
                . "[fatal]\nlisten = 127.0.0.1:$port\npm = static\npm.max_children = 1\npm.max_requests = 0\nclear_env = no\n"
                . (function_exists('posix_getuid') && posix_getuid() === 0 ? "user = root\ngroup = root\n" : '');
            file_put_contents("$work/fpm.conf", $pool);
            $command = [self::FPM, '-F', '-y', "$work/fpm.conf", '-c', "$work/php.ini"];
            if (function_exists('posix_getuid') && posix_getuid() === 0) {
                $command[] = '-R';
            }
            $env = ['KATAPULT_API_URL' => $sim->baseUrl] + getenv();
            $fpm = proc_open($command, [1 => ['file', "$work/fpm.out", 'a'], 2 => ['file', "$work/fpm.out", 'a']], $pipes, null, $env);
            $this->assertIsResource($fpm);
            $deadline = microtime(true) + 10;
            while (!($c = @fsockopen('127.0.0.1', $port)) && microtime(true) < $deadline) {
                usleep(50_000);
            }
            $this->assertNotFalse($c, 'php-fpm listens');
            fclose($c);

            $workers = [];
            foreach (FatalErrorInHookTest::cases() as $name => [$when, $fatal]) {
                $body = $this->request($port, __DIR__ . '/fatal/fatal-in-hook.php', "when=$when&fatal=$fatal");
                $this->assertStringContainsString("hook: failing ($fatal)", $body, "$name:\n$body");
                $this->assertSame(3, preg_match_all('/^shutdown: [1-9]\d* organizations$/m', $body), "$name:\n$body");
                $this->assertStringContainsString('shutdown: TestConnection success', $body, "$name:\n$body");
                preg_match('/^process: (\d+)$/m', $body, $match);
                $workers[] = $match[1] ?? 'none';
            }
            $this->assertCount(1, array_unique($workers), 'one worker served every request: ' . implode(', ', $workers));
            $log = (string) @file_get_contents("$work/fpm.log") . (string) @file_get_contents("$work/fpm.out");
            $this->assertDoesNotMatchRegularExpression('/exited on signal|SIGSEGV|core dumped/', $log, $log);
        } finally {
            if (is_resource($fpm)) {
                proc_terminate($fpm, 15);
                proc_close($fpm);
            }
            $sim->stop();
            array_map('unlink', glob("$work/*") ?: []);
            @rmdir($work);
        }
    }

    /** One FastCGI GET request (a responder, connection closed after): the response's body. */
    private function request(int $port, string $script, string $query): string
    {
        $connection = stream_socket_client("tcp://127.0.0.1:$port", $errno, $error, 10);
        $this->assertNotFalse($connection, $error);
        stream_set_timeout($connection, 120);
        $record = fn (int $type, string $content): string => pack('CCnnCx', 1, $type, 1, strlen($content), 0) . $content;
        $params = '';
        foreach (['SCRIPT_FILENAME' => $script, 'SCRIPT_NAME' => '/' . basename($script), 'REQUEST_METHOD' => 'GET',
            'QUERY_STRING' => $query, 'REQUEST_URI' => '/' . basename($script) . "?$query", 'SERVER_PROTOCOL' => 'HTTP/1.1',
            'GATEWAY_INTERFACE' => 'CGI/1.1', 'SERVER_NAME' => 'localhost', 'SERVER_PORT' => '80', 'REMOTE_ADDR' => '127.0.0.1'] as $key => $value) {
            $params .= chr(strlen($key)) . (strlen($value) < 128 ? chr(strlen($value)) : pack('N', strlen($value) | 0x80000000)) . $key . $value;
        }
        fwrite($connection, $record(1, pack('nCx5', 1, 0)) . $record(4, $params) . $record(4, '') . $record(5, ''));
        $stdout = '';
        while (!feof($connection)) {
            $header = fread($connection, 8);
            if ($header === false || strlen($header) < 8) {
                break;
            }
            ['type' => $type, 'length' => $length, 'padding' => $padding] = unpack('Cversion/Ctype/nid/nlength/Cpadding/x', $header);
            $content = '';
            while (strlen($content) < $length + $padding && !feof($connection)) {
                $content .= (string) fread($connection, $length + $padding - strlen($content));
            }
            if ($type === 6) {
                $stdout .= substr($content, 0, $length);
            } elseif ($type === 3) {
                break;
            }
        }
        fclose($connection);
        $split = strpos($stdout, "\r\n\r\n");
        return $split === false ? $stdout : substr($stdout, $split + 4);
    }
}

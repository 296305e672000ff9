<?php
declare(strict_types=1);

use PHPUnit\Framework\TestCase;

/**
 * `make demo` as a newcomer runs it: the order provisioned into a running VM, then the client
 * area served on loopback, where the client logs in and sees the VM; Ctrl-C ends it all.
 */
final class DemoTest extends TestCase
{
    public function testTheDemoProvisionsAVmAndServesItsClientArea(): void
    {
        $probe = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($probe, false), ':'), 1);
        fclose($probe);
        // Its own session, so the whole demo (simulator, web server) can be signalled as one.
        $demo = proc_open(['setsid', dirname(__DIR__) . '/demo/run.sh'], [1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes, null, ['KATAPULT_DEMO_PORT' => (string) $port] + getenv());
        $this->assertIsResource($demo);
        $pid = proc_get_status($demo)['pid'];
        try {
            $output = $this->readUntil($pipes[1], 'Press Ctrl-C', 180);
            $this->assertStringContainsString('Provisioning complete.', $output);
            $this->assertStringContainsString('the welcome email', strtolower($output));
            $this->assertMatchesRegularExpression('~URL: +(http://127\.0\.0\.1:' . $port . '/clientarea\.php\?action=productdetails&id=\d+)~', $output);
            preg_match('~URL: +(\S+)~', $output, $url);
            preg_match('~log in as: (\S+) / (\S+)~', $output, $login);

            $page = $this->asClient("http://127.0.0.1:$port", $login[1], $login[2], $url[1]);
            $this->assertStringContainsString('data-state="started"', $page, 'the VM, running, in the client area');
            $this->assertStringContainsString('data-katapult-action="StopVm"', $page);
        } finally {
            posix_kill(-$pid, SIGTERM);
            $rest = stream_get_contents($pipes[1]);
            $status = proc_close($demo);
        }
        $this->assertNotSame(false, $rest);
        $this->assertFalse(@fsockopen('127.0.0.1', $port), 'Ctrl-C stops the web server');
        $this->assertContains($status, [0, 15, 143], 'the demo ends on the signal');
    }

    /** The demo's output up to the line containing $marker. */
    private function readUntil($stream, string $marker, int $seconds): string
    {
        $output = '';
        $deadline = microtime(true) + $seconds;
        while (!str_contains($output, $marker) && microtime(true) < $deadline) {
            $read = [$stream];
            $write = $except = null;
            if (stream_select($read, $write, $except, 1) === 1) {
                $line = fgets($stream);
                if ($line === false) {
                    break;
                }
                $output .= $line;
            }
        }
        $this->assertStringContainsString($marker, $output, "the demo did not get there:\n$output");
        return $output;
    }

    /** Logs in through the login form (with its CSRF token) and fetches $url as the client. */
    private function asClient(string $base, string $email, string $password, string $url): string
    {
        $cookies = tempnam(sys_get_temp_dir(), 'katapult-demo-cookies-');
        $fetch = function (string $address, ?array $form = null) use ($cookies): string {
            $curl = curl_init($address);
            curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_FOLLOWLOCATION => true, CURLOPT_COOKIEJAR => $cookies, CURLOPT_COOKIEFILE => $cookies, CURLOPT_TIMEOUT => 30]);
            if ($form !== null) {
                curl_setopt($curl, CURLOPT_POSTFIELDS, http_build_query($form));
            }
            $body = (string) curl_exec($curl);
            curl_close($curl);
            return $body;
        };
        try {
            preg_match('~name="token" value="([^"]+)"~', $fetch("$base/login.php"), $token);
            $fetch("$base/login.php", ['email' => $email, 'password' => $password, 'token' => $token[1] ?? '']);
            return $fetch($url);
        } finally {
            @unlink($cookies);
        }
    }
}

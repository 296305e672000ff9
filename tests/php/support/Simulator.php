<?php
declare(strict_types=1);

namespace Katapult\Tests\Support;

/**
 * The project's Katapult API simulator (target/release/katapult-sim), started on an ephemeral
 * loopback port for one test class and stopped with it.
 */
final class Simulator
{
    /** @var resource */
    private $process;
    /** @var array<int, resource> */
    private array $pipes = [];
    public readonly string $baseUrl;
    public readonly string $rootUrl;
    public readonly ?string $caFile;

    /**
     * @param list<string> $arguments extra katapult-sim flags
     * @param string $buildSpeed fast, realtime or poll:N
     * @param string|null $caFile where its CA goes with TLS (default: a temporary file)
     */
    public function __construct(private readonly array $arguments = [], bool $tls = false, private readonly string $buildSpeed = 'fast', ?string $caFile = null, string $listen = '127.0.0.1:0')
    {
        $this->caFile = $tls ? ($caFile ?? tempnam(sys_get_temp_dir(), 'katapult-ca-')) : null;
        $this->baseUrl = $this->start($listen);
        $this->rootUrl = (string) preg_replace('~/core/v1$~', '', $this->baseUrl);
    }

    /**
     * A simulator where this PHP process's module functions send their API calls: the extension
     * fixes that URL when the process starts (KATAPULT_API_URL in its environment), so tests that
     * run module functions in their own process start PHP with it (tests/tools/run-tests.sh does)
     * and the simulator listens there, one at a time.
     *
     * @param list<string> $arguments
     */
    public static function forTheModule(array $arguments = [], string $buildSpeed = 'fast'): self
    {
        return new self($arguments, false, $buildSpeed, null, self::moduleAddress());
    }

    /** host:port of this process's fixed API URL, which must be a loopback http:// one. */
    public static function moduleAddress(): string
    {
        $url = (string) getenv('KATAPULT_API_URL');
        if (!preg_match('~^https?://(127\.0\.0\.1:\d+)/core/v1$~', $url, $match)) {
            throw new \RuntimeException("start PHP with KATAPULT_API_URL=http://127.0.0.1:<a free port>/core/v1 (tests/tools/run-tests.sh does): the extension fixes the API URL when PHP starts, and this test's simulator listens there; it is `$url`");
        }
        return $match[1];
    }

    /** The simulator as a new process on the same address (give it `--state-file` to keep its state). */
    public function restart(): void
    {
        $this->terminate();
        $this->start((string) parse_url($this->rootUrl, PHP_URL_HOST) . ':' . parse_url($this->rootUrl, PHP_URL_PORT));
    }

    /** Starts the process listening on `$listen`; returns its API base URL. */
    private function start(string $listen): string
    {
        $binary = dirname(__DIR__, 3) . '/target/release/katapult-sim';
        if (!is_executable($binary)) {
            throw new \RuntimeException("$binary is missing: run make build");
        }
        $command = [$binary, '--listen', $listen, '--build-speed', $this->buildSpeed, ...$this->arguments];
        if ($this->caFile !== null) {
            array_push($command, '--tls', '--ca-out', $this->caFile);
        }
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'a']], $this->pipes);
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start katapult-sim');
        }
        $this->process = $process;
        $line = (string) fgets($this->pipes[1]);
        if (!preg_match('~listening on (\S+)~', $line, $match)) {
            $this->stop();
            throw new \RuntimeException("katapult-sim did not start: $line");
        }
        return $match[1];
    }

    /** Replaces the fault injection settings (JSON as the simulator's control endpoint takes it). */
    public function setFaults(array $faults): void
    {
        $this->control('PUT', '/_sim/faults', $faults === [] ? new \stdClass() : $faults);
    }

    /**
     * Changes a VM behind its owner's back, as someone in Katapult's own panel would:
     * `['hostname' => …]` (the FQDN follows), `['ipv4' => …]` (its first IPv4 address).
     *
     * @param array<string, string> $change
     * @return array<string, mixed> the VM's hostname and addresses now
     */
    public function changeVm(string $vmId, array $change): array
    {
        return $this->control('PUT', '/_sim/virtual_machines/' . rawurlencode($vmId), $change);
    }

    /** Sets the simulator's clock (Unix time): its Date header, rate-limit minute and trash expiry follow it. */
    public function setClock(float $now): void
    {
        $this->control('PUT', '/_sim/clock', ['now' => $now]);
    }

    /** Requests that reached a route, e.g. 'POST /virtual_machines/:virtual_machine/stop'. */
    public function requests(string $route): int
    {
        return (int) ($this->stats()['requests'][$route] ?? 0);
    }

    /** @return array<string, mixed> */
    public function stats(): array
    {
        return $this->control('GET', '/_sim/stats');
    }

    private function control(string $method, string $path, array|\stdClass|null $body = null): array
    {
        $context = stream_context_create([
            'http' => [
                'method' => $method,
                'header' => "Content-Type: application/json\r\n",
                'content' => $body === null ? '' : json_encode($body, JSON_THROW_ON_ERROR),
                'ignore_errors' => true,
            ],
            'ssl' => $this->caFile === null ? [] : ['cafile' => $this->caFile],
        ]);
        $answer = file_get_contents($this->rootUrl . $path, false, $context);
        return $answer === false || $answer === '' ? [] : (array) json_decode($answer, true, 512, JSON_THROW_ON_ERROR);
    }

    public function stop(): void
    {
        $this->terminate();
        if ($this->caFile !== null && is_file($this->caFile)) {
            unlink($this->caFile);
        }
    }

    /** SIGTERM, and waits until the process is gone (it saves its `--state-file` first). */
    private function terminate(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process);
            foreach ($this->pipes as $pipe) {
                fclose($pipe);
            }
            proc_close($this->process);
        }
    }

    public function __destruct()
    {
        $this->stop();
    }
}

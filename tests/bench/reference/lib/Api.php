<?php
/**
 * The PHP reference's Katapult API client, as the incumbent builds it (its APIFactory):
 * a Guzzle client made once per PHP request (a static, so under PHP-FPM a new one for every page
 * and one for a whole cron run), Bearer token from the datastore (api_v1_key, WHMCS encrypt()ed),
 * 5 s timeout, the incumbent's User-Agent; 4xx and 5xx throw (the incumbent's ErrorPlugin).
 * Bodies are json_decode()d into objects (stdClass), lighter than the incumbent's Jane models.
 */

declare(strict_types=1);

namespace WHMCS\Module\Server\Katapultref;

use GuzzleHttp\Client;

final class Api
{
    private static ?Client $client = null;

    public static function client(): Client
    {
        if (self::$client === null) {
            require_once '/usr/share/php/GuzzleHttp/autoload.php';
            $base = getenv('KATAPULT_API_URL') ?: 'https://' . (getenv('KATAPULT_API_HOST') ?: 'api.katapult.io') . '/core/v1';
            $ca = getenv('KATAPULT_CA_FILE');
            self::$client = new Client([
                'base_uri' => rtrim($base, '/') . '/',
                'timeout' => 5,
                'connect_timeout' => 5,
                'http_errors' => true,
                'verify' => $ca !== false && $ca !== '' ? $ca : true,
                'headers' => [
                    'Authorization' => 'Bearer ' . self::key(),
                    'User-Agent' => 'KatapultAPIClientPHP/5.3.2',
                    'Accept' => 'application/json',
                ],
            ]);
        }
        return self::$client;
    }

    /** GET a path below /core/v1 with a lookup query (`virtual_machine[id]` => …); the decoded body. */
    public static function get(string $path, array $query = []): object
    {
        $response = self::client()->get(ltrim($path, '/'), ['query' => $query]);
        return json_decode((string) $response->getBody(), false, 512, JSON_THROW_ON_ERROR);
    }

    /** The API key the PHP module stored (setting APIKey, encrypt()ed in the datastore). */
    private static function key(): string
    {
        $encrypted = DataStore::read('module_setting', 'katapult', 'api_v1_key');
        if (!is_string($encrypted) || $encrypted === '') {
            throw new \RuntimeException('No API key has been set');
        }
        return decrypt($encrypted);
    }
}

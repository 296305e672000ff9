<?php
/**
 * TEST STAND-IN for proprietary WHMCS: turns a PDO DSN into a Capsule connection config.
 *
 * WHMCS builds its Capsule connection from configuration.php ($db_host, $db_port, $db_name, ...).
 * The stand-in takes a PDO DSN instead (env WHMCS_DB_DSN) so tests can point it at SQLite or a
 * private MariaDB: `sqlite:/path/file.sqlite`, `sqlite::memory:`,
 * `mysql:host=127.0.0.1;port=3306;dbname=whmcs[;unix_socket=...][;charset=utf8mb4]`.
 * MySQL connections run with sql_mode '' (README fact 15): WHMCS sets it empty on its connection
 * (no strict mode, no ONLY_FULL_GROUP_BY, no NO_ZERO_DATE).
 */

declare(strict_types=1);

namespace WhmcsStandIn;

final class Dsn
{
    /**
     * @return array<string, mixed> an Illuminate connection config
     */
    public static function toConnectionConfig(string $dsn, string $user = '', string $password = ''): array
    {
        [$driver, $rest] = array_pad(explode(':', $dsn, 2), 2, '');
        if ($driver === 'sqlite') {
            if ($rest === '') {
                throw new \InvalidArgumentException("SQLite DSN without a path: $dsn");
            }
            return ['driver' => 'sqlite', 'database' => $rest, 'prefix' => '', 'foreign_key_constraints' => false];
        }
        if ($driver !== 'mysql') {
            throw new \InvalidArgumentException("unsupported DSN driver '$driver' (use sqlite: or mysql:)");
        }
        $parts = [];
        foreach (explode(';', $rest) as $pair) {
            if (trim($pair) === '') {
                continue;
            }
            [$k, $v] = array_pad(explode('=', $pair, 2), 2, '');
            $parts[strtolower(trim($k))] = trim($v);
        }
        if (($parts['dbname'] ?? '') === '') {
            throw new \InvalidArgumentException("MySQL DSN without dbname: $dsn");
        }
        $config = [
            'driver' => 'mysql',
            'host' => $parts['host'] ?? '127.0.0.1',
            'port' => (int) ($parts['port'] ?? 3306),
            'database' => $parts['dbname'],
            'username' => $user,
            'password' => $password,
            'charset' => $parts['charset'] ?? 'utf8mb4',
            'collation' => 'utf8mb4_unicode_ci',
            'prefix' => '',
            'strict' => false,
            'modes' => [],
        ];
        if (($parts['unix_socket'] ?? '') !== '') {
            $config['unix_socket'] = $parts['unix_socket'];
        }
        return $config;
    }
}

<?php
/**
 * `make bench`: logs the client in K times through the stand-in's login page (GET login.php for
 * the CSRF token, POST the email and password) and prints each session's Cookie header value, one
 * a line, for wrk.
 *
 * Usage: php login.php BASE_URL EMAIL PASSWORD K
 */

declare(strict_types=1);

[, $base, $email, $password, $k] = $argv + [4 => '1'];
$base = rtrim($base, '/');
for ($i = 0; $i < (int) $k; $i++) {
    $jar = tempnam(sys_get_temp_dir(), 'bench-cookies');
    $get = curl_init("$base/login.php");
    curl_setopt_array($get, [CURLOPT_RETURNTRANSFER => true, CURLOPT_COOKIEJAR => $jar, CURLOPT_COOKIEFILE => $jar]);
    $html = (string) curl_exec($get);
    unset($get);   // the cookie jar is written when the handle goes
    if (!preg_match('/name="token" value="([^"]+)"/', $html, $m)) {
        unlink($jar);
        fwrite(STDERR, "login.php showed no CSRF token (is the web front up?)\n");
        exit(1);
    }
    $post = curl_init("$base/login.php");
    curl_setopt_array($post, [CURLOPT_RETURNTRANSFER => true, CURLOPT_COOKIEJAR => $jar, CURLOPT_COOKIEFILE => $jar,
        CURLOPT_POST => true, CURLOPT_POSTFIELDS => http_build_query(['token' => $m[1], 'username' => $email, 'password' => $password])]);
    curl_exec($post);
    $status = curl_getinfo($post, CURLINFO_RESPONSE_CODE);
    unset($post);
    $cookie = null;
    foreach (file($jar) ?: [] as $line) {
        $fields = explode("\t", trim($line));
        if (count($fields) === 7 && str_starts_with($fields[5], 'WHMCS')) {
            $cookie = $fields[5] . '=' . $fields[6];
        }
    }
    unlink($jar);
    if ($status !== 302 || $cookie === null) {
        fwrite(STDERR, "login failed (HTTP $status)\n");
        exit(1);
    }
    echo $cookie, "\n";
}

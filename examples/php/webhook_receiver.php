<?php
/**
 * Receives vicinotify's webhooks under PHP's own server or any web server:
 *
 *   WEBHOOK_SECRET=whsec_... php -S 127.0.0.1:8080 webhook_receiver.php
 *
 * Checks each request's Standard Webhooks signature, answers 204, and skips a delivery it already took
 * (vicinotify delivers at least once: a retry repeats `webhook-id`). With the `standard-webhooks/standard-webhooks`
 * package installed (composer require standard-webhooks/standard-webhooks) it verifies with that; without it,
 * with the same check written out below (HMAC-SHA256 of "id.timestamp.body", a timestamp within five minutes).
 * WEBHOOK_SECRET may hold several secrets separated by spaces while one is being rotated.
 *
 * Prints each event (the CloudEvent JSON) on one line to the server's standard output. Replace handle().
 */

function handle(array $event): void
{
    file_put_contents('php://stdout', json_encode($event, JSON_UNESCAPED_SLASHES) . "\n");
}

const TOLERANCE_SECONDS = 300;

/** The payload when one of the secrets signed it; null otherwise. */
function verify(string $body, array $headers, array $secrets): ?array
{
    if (class_exists('StandardWebhooks\Webhook')) {
        foreach ($secrets as $secret) {
            try {
                return (new StandardWebhooks\Webhook($secret))->verify($body, $headers);
            } catch (Exception $e) {
                continue;
            }
        }
        return null;
    }
    $id = $headers['webhook-id'] ?? '';
    $timestamp = $headers['webhook-timestamp'] ?? '';
    if (!ctype_digit($timestamp) || abs(time() - (int)$timestamp) > TOLERANCE_SECONDS) {
        return null;
    }
    $offered = [];  // the header's v1 signatures
    foreach (explode(' ', $headers['webhook-signature'] ?? '') as $signature) {
        [$version, $value] = array_pad(explode(',', $signature, 2), 2, '');
        if ($version === 'v1') {
            $offered[] = $value;
        }
    }
    foreach ($secrets as $secret) {
        $key = base64_decode(preg_replace('/^whsec_/', '', $secret), true);
        $expected = base64_encode(hash_hmac('sha256', "$id.$timestamp.$body", $key, true));
        foreach ($offered as $value) {
            if (hash_equals($expected, $value)) {
                return json_decode($body, true);
            }
        }
    }
    return null;
}

/** True the first time an id is seen; the last 10,000 ids are kept in a file shared by the server's workers. */
function first_delivery(string $id): bool
{
    $path = getenv('WEBHOOK_SEEN_FILE') ?: sys_get_temp_dir() . '/vicinotify-webhook-ids';
    $file = fopen($path, 'c+');
    flock($file, LOCK_EX);
    $ids = array_filter(explode("\n", stream_get_contents($file)));
    $first = !in_array($id, $ids, true);
    if ($first) {
        $ids = array_slice([...$ids, $id], -10000);
        ftruncate($file, 0);
        rewind($file);
        fwrite($file, implode("\n", $ids) . "\n");
    }
    flock($file, LOCK_UN);
    fclose($file);
    return $first;
}

$secrets = array_filter(explode(' ', getenv('WEBHOOK_SECRET') ?: ''));
if (!$secrets) {
    http_response_code(500);
    file_put_contents('php://stderr', "set WEBHOOK_SECRET to the endpoint's secret (whsec_...; several separated by spaces)\n");
    exit;
}
if (file_exists(__DIR__ . '/vendor/autoload.php')) {
    require __DIR__ . '/vendor/autoload.php';
}
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    http_response_code(405);
    exit;
}
$body = file_get_contents('php://input');
$headers = array_change_key_case(getallheaders(), CASE_LOWER);
$payload = verify($body, $headers, $secrets);
if ($payload === null) {
    http_response_code(401);
    file_put_contents('php://stderr', 'refused a request without a valid signature (' . ($headers['webhook-id'] ?? '') . ")\n");
    exit;
}
http_response_code(204);
if (function_exists('fastcgi_finish_request')) {
    fastcgi_finish_request();  // under PHP-FPM the answer leaves now and the work happens after
}
if (first_delivery($headers['webhook-id'])) {
    foreach (array_is_list($payload) ? $payload : [$payload] as $event) {  // a batch is a JSON array
        handle($event);
    }
}

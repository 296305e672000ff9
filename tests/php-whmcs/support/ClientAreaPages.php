<?php
declare(strict_types=1);

/**
 * A client-area request in a test's own process, and reading what the module puts in the page:
 * its HTML as the browser parses it, its language files.
 */
trait ClientAreaPages
{
    /** The request is now a client-area one, by this client, in this language. */
    private function inClientArea(int $client, string $language = 'english'): void
    {
        if (!defined('CLIENTAREA')) {
            define('CLIENTAREA', true);
        }
        WhmcsStandIn\Session::asClient($client); // $_SESSION['uid']
        $_SESSION['Language'] = $language;
    }

    /** The product page's module output, as clientarea.php?action=productdetails&id=N renders it. */
    private function page(int $service): string
    {
        $_GET = ['action' => 'productdetails', 'id' => (string) $service];
        $_POST = [];
        $html = WhmcsStandIn\Module::call('ClientArea', $service);
        $this->assertIsString($html);
        return $html;
    }

    private function xpath(string $html): DOMXPath
    {
        $document = new DOMDocument();
        $previous = libxml_use_internal_errors(true);
        $document->loadHTML('<?xml encoding="UTF-8"><html><body>' . $html . '</body></html>', LIBXML_NONET);
        libxml_clear_errors();
        libxml_use_internal_errors($previous);
        return new DOMXPath($document);
    }

    /** @return array<string, string> a module language file's strings */
    private static function lang(string $language = 'english'): array
    {
        $_LANG = [];
        include dirname(__DIR__, 3) . "/module/lang/$language.php";
        return $_LANG;
    }
}

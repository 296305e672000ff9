<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use Illuminate\Database\Eloquent\ModelNotFoundException;
use WHMCS\Module\Server\Katapult\WHMCS\Service\VirtualMachine;
use WHMCS\Product\Product;
use WHMCS\Service\Service;
use WHMCS\User\Client;
use WhmcsStandIn\Fixtures;

final class ModelsTest extends StandInTestCase
{
    public function testServiceRelationsAndFriendlyNames(): void
    {
        $client = Fixtures::client(['firstname' => 'Grace', 'lastname' => 'Hopper']);
        $product = Fixtures::product(['name' => 'Rock 3']);
        $service = Fixtures::service($client, $product, ['domain' => 'vm.example.test']);

        $found = Service::findOrFail($service->id);
        $this->assertSame('tblhosting', $found->getTable());
        $this->assertInstanceOf(Client::class, $found->client);
        $this->assertSame('Grace', $found->client->firstName);
        $this->assertSame('Grace Hopper', $found->client->fullName);
        $this->assertInstanceOf(Product::class, $found->product);
        $this->assertSame('Rock 3', $found->product->name);
        $this->assertSame('katapult', $found->product->module);
        $this->assertSame('Pending', $found->status);
        $this->assertSame((int) $client->id, (int) $found->clientId);
        $this->assertCount(1, $client->services);
    }

    public function testFriendlyNameWritesTheLegacyColumn(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product());
        $service->status = 'Active';
        $service->dedicatedIp = '192.0.2.10';
        $service->save();
        $this->assertSame('Active', Service::find($service->id)->domainstatus);
        $this->assertSame('192.0.2.10', Service::find($service->id)->dedicatedip);
    }

    public function testTimestampsAreMaintained(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product());
        $this->assertNotNull(Service::find($service->id)->created_at);
        $this->assertNotNull(Service::find($service->id)->updated_at);
    }

    public function testModuleSubclassFindsServicesLikeInWhmcs(): void
    {
        $service = Fixtures::service(Fixtures::client(), Fixtures::product(), ['domain' => 'sub.example.test']);
        $vm = VirtualMachine::findOrFail($service->id);
        $this->assertInstanceOf(Service::class, $vm);
        $this->assertSame('sub.example.test (Pending)', $vm->label());
        $this->assertInstanceOf(Client::class, $vm->client);

        $this->expectException(ModelNotFoundException::class);
        VirtualMachine::findOrFail(1337);
    }
}

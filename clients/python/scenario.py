"""A short scenario through Python stubs generated from proto/ with grpcio-tools.

It proves the contracts are usable outside Rust: create, get, a list page, an error whose
google.rpc details decode (BadRequest field violations), and a server stream.
Usage: scenario.py CUSTOMERS_ADDR LABS_ADDR TOKEN   (the generated modules on sys.path)
Prints one line per check and `python client: N passed, M failed`; exits 1 on a failure.
"""

import sys
import uuid

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from symbolon.customers.v1 import customers_service_pb2 as crm
from symbolon.customers.v1 import customers_service_pb2_grpc as crm_grpc
from symbolon.customers.v1 import resources_pb2 as crm_resources
from symbolon.labs.v1 import labs_service_pb2 as labs
from symbolon.labs.v1 import labs_service_pb2_grpc as labs_grpc

customers_addr, labs_addr, token = sys.argv[1:4]
auth = (("authorization", f"Bearer {token}"),)
passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


with grpc.insecure_channel(customers_addr) as channel:
    stub = crm_grpc.CustomersServiceStub(channel)
    suffix = uuid.uuid4().hex[:8]
    customer_id = f"py-client-{suffix}"
    created = stub.CreateCustomer(
        crm.CreateCustomerRequest(
            customer_id=customer_id,
            customer=crm_resources.Customer(
                display_name="Python Client GmbH",
                industry=crm_resources.INDUSTRY_MANUFACTURING,
                home_country="DE",
            ),
            request_id=str(uuid.uuid4()),
        ),
        metadata=auth,
        timeout=10,
    )
    check("create", created.name == f"customers/{customer_id}", created.name)

    got = stub.GetCustomer(crm.GetCustomerRequest(name=created.name), metadata=auth, timeout=10)
    check("get", got.display_name == "Python Client GmbH" and got.home_country == "DE", str(got))

    page = stub.ListCustomers(crm.ListCustomersRequest(page_size=2), metadata=auth, timeout=10)
    check("list page", len(page.customers) == 2 and page.next_page_token != "", str(page))
    second = stub.ListCustomers(
        crm.ListCustomersRequest(page_size=2, page_token=page.next_page_token),
        metadata=auth,
        timeout=10,
    )
    first_names = {c.name for c in page.customers}
    check(
        "second page",
        len(second.customers) > 0 and not first_names & {c.name for c in second.customers},
        str(second),
    )

    try:
        stub.CreateCustomer(
            crm.CreateCustomerRequest(
                customer_id=f"py-bad-{suffix}",
                customer=crm_resources.Customer(
                    display_name="Bad", industry=crm_resources.INDUSTRY_ENERGY, home_country="ZZ"
                ),
            ),
            metadata=auth,
            timeout=10,
        )
        check("error details", False, "a bad country was accepted")
    except grpc.RpcError as e:
        status = rpc_status.from_call(e)
        fields = []
        for detail in status.details if status else []:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                fields += [v.field for v in bad.field_violations]
        check(
            "error details",
            e.code() == grpc.StatusCode.INVALID_ARGUMENT and "customer.home_country" in fields,
            f"{e.code()} {fields}",
        )

with grpc.insecure_channel(labs_addr) as channel:
    stub = labs_grpc.LabsServiceStub(channel)
    lab = stub.ListLabs(labs.ListLabsRequest(page_size=1), metadata=auth, timeout=10).labs[0]
    # The watch replays from start_sequence, then follows live: read the first five.
    stream = stub.WatchLogEntries(
        labs.WatchLogEntriesRequest(parent=lab.name, start_sequence=1),
        metadata=auth,
        timeout=20,
    )
    sequences = []
    for response in stream:
        if response.HasField("entry"):
            sequences.append(response.entry.sequence)
        if len(sequences) >= 5:
            stream.cancel()
            break
    check("server stream", sequences[:5] == [1, 2, 3, 4, 5], str(sequences[:5]))

print(f"python client: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

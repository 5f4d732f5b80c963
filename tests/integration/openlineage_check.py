#!/usr/bin/env python3
"""Checks OpenLineage events a receiver recorded (tests/integration/test_openlineage.sh).

    openlineage_check.py REQUESTS.jsonl > summary.json

Run with the Python of scripts/setup-openlineage. Each request's body must validate
against the vendored OpenLineage spec (tests/integration/openlineage/, with the facet
schemas dagctl emits) and the dbt facet schemas of the pinned openlineage-integration-common,
and must load into the pinned openlineage-python's generated models (event_v2). Prints a
summary: one entry per event {delivery, eventType, eventTime, runId, job, parent, inputs,
outputs, facets}. Exits 1 naming the first event that fails.
"""
import glob
import json
import os
import sys

import jsonschema
import openlineage.common.schema as dbt_schemas
from openlineage.client import event_v2
from openlineage.client.generated import (error_message_run, job_type_job, parent_run, processing_engine_run,
                                          sql_job)
from openlineage.client.serde import Serde
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openlineage")


def load(path):
    with open(path) as f:
        return json.load(f)


spec = load(os.path.join(HERE, "OpenLineage.json"))
resources = [(spec["$id"], Resource.from_contents(spec))]
facet_schemas = {}
for path in glob.glob(os.path.join(HERE, "*Facet.json")):
    doc = load(path)
    resources.append((doc["$id"], Resource.from_contents(doc)))
    facet_schemas[doc["$id"]] = doc
for path in glob.glob(os.path.join(os.path.dirname(dbt_schemas.__file__), "dbt-*.json")):
    doc = load(path)  # "$schema": "http://json-schema.org/schema#", which referencing does not know
    resources.append((doc["$id"], DRAFT7.create_resource(doc)))
    facet_schemas[doc["$id"]] = doc
# The dbt version facet refers to the 1-0-2 core spec; the vendored 2-0-2 serves its BaseFacet.
resources.append(("https://openlineage.io/spec/1-0-2/OpenLineage.json", Resource.from_contents(spec)))
registry = Registry().with_resources(resources)


def validator(ref):
    return jsonschema.Draft202012Validator({"$ref": ref}, registry=registry,
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


event_validator = validator(spec["$id"] + "#/$defs/RunEvent")


def check_facets(facets, where):
    for name, facet in (facets or {}).items():
        url = facet["_schemaURL"]
        base, _, pointer = url.partition("#")
        if base in facet_schemas:
            validator(url).validate(facet)
        elif name != "dagctl_run":  # dagctl's own (docs/openlineage.md): only the base facet applies
            raise ValueError(f"{where} facet {name}: no schema for {url}")


def model(body):
    """The event as the pinned client's generated models (a second, independent check)."""
    run_facets = {}
    for name, f in body["run"].get("facets", {}).items():
        if name == "parent":
            run_facets[name] = parent_run.ParentRunFacet(
                run=parent_run.Run(runId=f["run"]["runId"]),
                job=parent_run.Job(namespace=f["job"]["namespace"], name=f["job"]["name"]))
        elif name == "processing_engine":
            run_facets[name] = processing_engine_run.ProcessingEngineRunFacet(
                version=f["version"], name=f.get("name"), openlineageAdapterVersion=f.get("openlineageAdapterVersion"))
        elif name == "errorMessage":
            run_facets[name] = error_message_run.ErrorMessageRunFacet(message=f["message"],
                                                                      programmingLanguage=f["programmingLanguage"])
    job_facets = {}
    for name, f in body["job"].get("facets", {}).items():
        if name == "jobType":
            job_facets[name] = job_type_job.JobTypeJobFacet(processingType=f["processingType"],
                                                            integration=f["integration"], jobType=f.get("jobType"))
        elif name == "sql":
            job_facets[name] = sql_job.SQLJobFacet(query=f["query"], dialect=f.get("dialect"))
    event = event_v2.RunEvent(
        eventType=event_v2.RunState(body["eventType"]),
        eventTime=body["eventTime"],
        run=event_v2.Run(runId=body["run"]["runId"], facets=run_facets),
        job=event_v2.Job(namespace=body["job"]["namespace"], name=body["job"]["name"], facets=job_facets),
        producer=body["producer"],
        inputs=[event_v2.InputDataset(namespace=d["namespace"], name=d["name"]) for d in body.get("inputs", [])],
        outputs=[event_v2.OutputDataset(namespace=d["namespace"], name=d["name"]) for d in body.get("outputs", [])],
    )
    back = Serde.to_dict(event)
    # schemaURL too: the pinned client writes the spec version it was generated from.
    for key in ("eventType", "eventTime", "producer", "schemaURL"):
        if back[key] != body[key]:
            raise ValueError(f"{key}: the client's model says {back[key]!r}, the event {body[key]!r}")
    if back["run"]["runId"] != body["run"]["runId"]:
        raise ValueError("runId differs in the client's model")


summary = []
with open(sys.argv[1]) as f:
    for n, line in enumerate(f, 1):
        request = json.loads(line)
        headers = {k.lower(): v for k, v in request["headers"].items()}
        try:
            body = json.loads(request["body"])
            event_validator.validate(body)
            check_facets(body["run"].get("facets"), "run")
            check_facets(body["job"].get("facets"), "job")
            model(body)
        except Exception as e:  # noqa: BLE001 - the message is the test's output
            print(f"request {n} ({headers.get('x-dagctl-delivery')}): {type(e).__name__}: {str(e)[:2000]}",
                  file=sys.stderr)
            sys.exit(1)
        parent = body["run"].get("facets", {}).get("parent")
        summary.append({
            "delivery": headers.get("x-dagctl-delivery"),
            "authorization": headers.get("authorization"),
            "path": request["path"],
            "eventType": body["eventType"],
            "eventTime": body["eventTime"],
            "runId": body["run"]["runId"],
            "job": body["job"]["namespace"] + "/" + body["job"]["name"],
            "jobType": body["job"].get("facets", {}).get("jobType", {}).get("jobType"),
            "integration": body["job"].get("facets", {}).get("jobType", {}).get("integration"),
            "parent": parent["run"]["runId"] if parent else None,
            "dagctl_run": body["run"].get("facets", {}).get("dagctl_run", {}).get("run_id"),
            "inputs": [d["namespace"] + "/" + d["name"] for d in body.get("inputs", [])],
            "outputs": [d["namespace"] + "/" + d["name"] for d in body.get("outputs", [])],
            "facets": sorted(body["run"].get("facets", {})) + sorted(body["job"].get("facets", {})),
        })
json.dump(summary, sys.stdout)

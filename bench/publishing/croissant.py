"""The release in Croissant (MLCommons' JSON-LD for ML data sets), with its Responsible-AI fields taken from the
dataset card's sections, so the two never disagree; label names are kept as enumerations."""

from __future__ import annotations

import json

from .card import ANNOTATOR_MODEL, AUTHORS, LICENCE, PRETTY_NAME, REPOSITORY_URL, card_section, citation

CONFORMS_TO = ["http://mlcommons.org/croissant/1.0", "http://mlcommons.org/croissant/RAI/1.0"]
# The standard @context of Croissant 1.0 with its Responsible-AI namespace (as mlcroissant writes it).
CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/", "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract", "field": "cr:field",
    "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet", "format": "cr:format",
    "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath", "key": "cr:key",
    "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace",
    "samplingRate": "cr:samplingRate", "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform",
}
DATA_TYPES = {"string": "sc:Text", "int32": "sc:Integer", "bool": "sc:Boolean"}  # the Value dtypes the configs use
# Each Responsible-AI field and the card section that holds its text; the fields of the second take several texts.
RAI_TEXT = {"rai:dataCollection": "Data Collection and Processing", "rai:dataCollectionRawData": "Source Data",
            "rai:dataSocialImpact": "Recommendations"}
RAI_TEXTS = {"rai:dataAnnotationProtocol": ["Annotation process"],
             "rai:dataAnnotationPlatform": ["Who are the annotators?"],
             "rai:personalSensitiveInformation": ["Personal and Sensitive Information"],
             "rai:dataBiases": ["Biases"], "rai:dataLimitations": ["Limitations"],
             "rai:dataUseCases": ["Direct Use", "Out-of-Scope Use"]}


def croissant(card_text: str, infos, *, languages: list[str], version: str, passes: int) -> str:
    """croissant.json: the data set's metadata, its Parquet files, a record set per config (a ClassLabel column
    referring to the enumeration of its names), and the Responsible-AI fields, from the card TEXT."""
    record_sets, label_sets = [], []
    for config, info in infos.items():
        fields = []
        for column, feature in info.features.items():
            fields.append(field(config, column, feature))
            if hasattr(feature, "names"):
                label_sets.append(enumeration(config, column, feature.names))
        record_sets.append({"@type": "cr:RecordSet", "@id": config, "name": config, "field": fields,
                            "description": f"The {config} config; splits: {', '.join(info.splits)}."})
    rai = {**{key: card_section(card_text, heading) for key, heading in RAI_TEXT.items()},
           **{key: [card_section(card_text, heading) for heading in headings] for key, headings in RAI_TEXTS.items()}}
    document = {
        "@context": CONTEXT, "@type": "sc:Dataset", "conformsTo": CONFORMS_TO, "name": "deserter-bench",
        "alternateName": PRETTY_NAME, "description": card_section(card_text, f"Dataset Card for {PRETTY_NAME}"),
        "version": version, "license": LICENCE, "url": REPOSITORY_URL, "citeAs": citation(version)[0],
        "creator": {"@type": "sc:Organization", "name": AUTHORS, "url": REPOSITORY_URL}, "inLanguage": languages,
        "keywords": ["text classification", "stance detection", "cross-lingual", "news", "desertion"],
        "distribution": [{"@type": "cr:FileSet", "@id": f"{config}-files", "name": f"{config}-files",
                          "encodingFormat": "application/x-parquet", "includes": f"{config}/*.parquet"}
                         for config in infos],
        "recordSet": [*label_sets, *record_sets], **rai,
        "rai:machineAnnotationTools": [ANNOTATOR_MODEL],
        "rai:annotationsPerItem": f"{passes} blind passes per paragraph, then an adjudication of every disagreement",
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def field(config: str, column: str, feature) -> dict:
    """A column of a config as a Croissant field read from its Parquet files; a label refers to its names."""
    found = {"@type": "cr:Field", "@id": f"{config}/{column}", "name": column,
             "source": {"fileSet": {"@id": f"{config}-files"}, "extract": {"column": column}}}
    if hasattr(feature, "names"):
        return {**found, "dataType": "sc:Integer", "references": {"field": {"@id": f"{labels_id(config, column)}/index"}},
                "description": f"The label's index; its names are in {labels_id(config, column)}."}
    if hasattr(feature, "feature"):  # a list of strings
        return {**found, "dataType": DATA_TYPES[feature.feature.dtype], "repeated": True}
    return {**found, "dataType": DATA_TYPES[feature.dtype]}


def labels_id(config: str, column: str) -> str:
    return f"{config}-{column}-names"


def enumeration(config: str, column: str, names: list[str]) -> dict:
    """A ClassLabel's names as an enumeration: each index with its name, as the guidelines name it."""
    record = labels_id(config, column)
    return {"@type": "cr:RecordSet", "@id": record, "name": record, "dataType": "sc:Enumeration",
            "description": f"The names of the {column} labels of the {config} config, by index.",
            "key": {"@id": f"{record}/index"},
            "field": [{"@type": "cr:Field", "@id": f"{record}/index", "name": "index", "dataType": "sc:Integer"},
                      {"@type": "cr:Field", "@id": f"{record}/name", "name": "name", "dataType": "sc:Text"}],
            "data": [{f"{record}/index": index, f"{record}/name": name} for index, name in enumerate(names)]}

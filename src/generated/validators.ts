import * as __typia_transform__isFormatIpv4 from "typia/lib/internal/_isFormatIpv4";
import * as __typia_transform__isFormatIpv6 from "typia/lib/internal/_isFormatIpv6";
import * as __typia_transform__validateReport from "typia/lib/internal/_validateReport";
import * as __typia_transform__createStandardSchema from "typia/lib/internal/_createStandardSchema";
import type { AnalyticsResponse, HealthResponse, HTTPError, HTTPValidationError, ReadyResponse, StatsQuery, StatsResponse, VisitRequest, VisitResponse, } from "../contract/types.js";
/** Every type the API exchanges (the generated file keeps this; it uses the imports). */
export type ApiTypes = [
    VisitRequest,
    VisitResponse,
    StatsQuery,
    StatsResponse,
    HealthResponse,
    ReadyResponse,
    HTTPValidationError,
    HTTPError,
    AnalyticsResponse
];
/** Fast path: a yes/no check that allocates nothing. */
export const isVisitRequest = (() => { const _io0 = (input: any): boolean => "string" === typeof input.user_id && (1 <= input.user_id.length && (input.user_id.length <= 256 || (input.user_id.length <= 256 * 2 && input.user_id.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 256))) && ("string" === typeof input.page_url && (1 <= input.page_url.length && (input.page_url.length <= 2048 || (input.page_url.length <= 2048 * 2 && input.page_url.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 2048)))) && (null === input.user_agent || undefined === input.user_agent || "string" === typeof input.user_agent && (input.user_agent.length <= 1024 || (input.user_agent.length <= 1024 * 2 && input.user_agent.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 1024))) && (null === input.ip_address || undefined === input.ip_address || "string" === typeof input.ip_address && (__typia_transform__isFormatIpv4._isFormatIpv4(input.ip_address) || __typia_transform__isFormatIpv6._isFormatIpv6(input.ip_address))) && (null === input.referrer || undefined === input.referrer || "string" === typeof input.referrer && (input.referrer.length <= 2048 || (input.referrer.length <= 2048 * 2 && input.referrer.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 2048))); return (input: any): input is VisitRequest => "object" === typeof input && null !== input && _io0(input); })();
/** Slow path, for rejected bodies only: says what is wrong. */
export const validateVisitRequest = (() => { const _io0 = (input: any): boolean => "string" === typeof input.user_id && (1 <= input.user_id.length && (input.user_id.length <= 256 || (input.user_id.length <= 256 * 2 && input.user_id.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 256))) && ("string" === typeof input.page_url && (1 <= input.page_url.length && (input.page_url.length <= 2048 || (input.page_url.length <= 2048 * 2 && input.page_url.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 2048)))) && (null === input.user_agent || undefined === input.user_agent || "string" === typeof input.user_agent && (input.user_agent.length <= 1024 || (input.user_agent.length <= 1024 * 2 && input.user_agent.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 1024))) && (null === input.ip_address || undefined === input.ip_address || "string" === typeof input.ip_address && (__typia_transform__isFormatIpv4._isFormatIpv4(input.ip_address) || __typia_transform__isFormatIpv6._isFormatIpv6(input.ip_address))) && (null === input.referrer || undefined === input.referrer || "string" === typeof input.referrer && (input.referrer.length <= 2048 || (input.referrer.length <= 2048 * 2 && input.referrer.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 2048))); const _vo0 = (input: any, _path: string, _exceptionable: boolean = true): boolean => ["string" === typeof input.user_id && (1 <= input.user_id.length || _report(_exceptionable, {
        path: _path + ".user_id",
        expected: "string & MinLength<1>",
        value: input.user_id
    })) && ((input.user_id.length <= 256 || (input.user_id.length <= 256 * 2 && input.user_id.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 256)) || _report(_exceptionable, {
        path: _path + ".user_id",
        expected: "string & MaxCodePoints<256>",
        value: input.user_id
    })) || _report(_exceptionable, {
        path: _path + ".user_id",
        expected: "(string & MinLength<1> & MaxCodePoints<256>)",
        value: input.user_id
    }), "string" === typeof input.page_url && (1 <= input.page_url.length || _report(_exceptionable, {
        path: _path + ".page_url",
        expected: "string & MinLength<1>",
        value: input.page_url
    })) && ((input.page_url.length <= 2048 || (input.page_url.length <= 2048 * 2 && input.page_url.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 2048)) || _report(_exceptionable, {
        path: _path + ".page_url",
        expected: "string & MaxCodePoints<2048>",
        value: input.page_url
    })) || _report(_exceptionable, {
        path: _path + ".page_url",
        expected: "(string & MinLength<1> & MaxCodePoints<2048>)",
        value: input.page_url
    }), null === input.user_agent || undefined === input.user_agent || "string" === typeof input.user_agent && ((input.user_agent.length <= 1024 || (input.user_agent.length <= 1024 * 2 && input.user_agent.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 1024)) || _report(_exceptionable, {
        path: _path + ".user_agent",
        expected: "string & MaxCodePoints<1024>",
        value: input.user_agent
    })) || _report(_exceptionable, {
        path: _path + ".user_agent",
        expected: "((string & MaxCodePoints<1024>) | null | undefined)",
        value: input.user_agent
    }), null === input.ip_address || undefined === input.ip_address || "string" === typeof input.ip_address && (__typia_transform__isFormatIpv4._isFormatIpv4(input.ip_address) || __typia_transform__isFormatIpv6._isFormatIpv6(input.ip_address) || _report(_exceptionable, {
        path: _path + ".ip_address",
        expected: "(string & (Format<\"ipv4\"> | Format<\"ipv6\">))",
        value: input.ip_address
    })) || _report(_exceptionable, {
        path: _path + ".ip_address",
        expected: "((string & (Format<\"ipv4\"> | Format<\"ipv6\">)) | null | undefined)",
        value: input.ip_address
    }), null === input.referrer || undefined === input.referrer || "string" === typeof input.referrer && ((input.referrer.length <= 2048 || (input.referrer.length <= 2048 * 2 && input.referrer.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length <= 2048)) || _report(_exceptionable, {
        path: _path + ".referrer",
        expected: "string & MaxCodePoints<2048>",
        value: input.referrer
    })) || _report(_exceptionable, {
        path: _path + ".referrer",
        expected: "((string & MaxCodePoints<2048>) | null | undefined)",
        value: input.referrer
    })].every((flag: boolean) => flag); const __is = (input: any): input is VisitRequest => "object" === typeof input && null !== input && _io0(input); let errors: any; let _report: any; return __typia_transform__createStandardSchema._createStandardSchema((input: any): import("typia").IValidation<VisitRequest> => {
    if (false === __is(input)) {
        errors = [];
        _report = (__typia_transform__validateReport._validateReport as any)(errors);
        ((input: any, _path: string, _exceptionable: boolean = true) => ("object" === typeof input && null !== input || _report(true, {
            path: _path + "",
            expected: "VisitRequest",
            value: input
        })) && _vo0(input, _path + "", true) || _report(true, {
            path: _path + "",
            expected: "VisitRequest",
            value: input
        }))(input, "$input", true);
        const success = 0 === errors.length;
        return success ? {
            success,
            data: input
        } : {
            success,
            errors,
            data: input
        } as any;
    }
    return {
        success: true,
        data: input
    } as any;
}); })();
export const validateStatsQuery = (() => { const _io0 = (input: any): boolean => undefined === input.timeframe_hours || "number" === typeof input.timeframe_hours && (0.1 <= input.timeframe_hours && input.timeframe_hours <= 168); const _vo0 = (input: any, _path: string, _exceptionable: boolean = true): boolean => [undefined === input.timeframe_hours || "number" === typeof input.timeframe_hours && (0.1 <= input.timeframe_hours || _report(_exceptionable, {
        path: _path + ".timeframe_hours",
        expected: "number & Minimum<0.1>",
        value: input.timeframe_hours
    })) && (input.timeframe_hours <= 168 || _report(_exceptionable, {
        path: _path + ".timeframe_hours",
        expected: "number & Maximum<168>",
        value: input.timeframe_hours
    })) || _report(_exceptionable, {
        path: _path + ".timeframe_hours",
        expected: "((number & Minimum<0.1> & Maximum<168> & Default<1>) | undefined)",
        value: input.timeframe_hours
    })].every((flag: boolean) => flag); const __is = (input: any): input is StatsQuery => "object" === typeof input && null !== input && false === Array.isArray(input) && _io0(input); let errors: any; let _report: any; return __typia_transform__createStandardSchema._createStandardSchema((input: any): import("typia").IValidation<StatsQuery> => {
    if (false === __is(input)) {
        errors = [];
        _report = (__typia_transform__validateReport._validateReport as any)(errors);
        ((input: any, _path: string, _exceptionable: boolean = true) => ("object" === typeof input && null !== input && false === Array.isArray(input) || _report(true, {
            path: _path + "",
            expected: "StatsQuery",
            value: input
        })) && _vo0(input, _path + "", true) || _report(true, {
            path: _path + "",
            expected: "StatsQuery",
            value: input
        }))(input, "$input", true);
        const success = 0 === errors.length;
        return success ? {
            success,
            data: input
        } : {
            success,
            errors,
            data: input
        } as any;
    }
    return {
        success: true,
        data: input
    } as any;
}); })();
/** JSON Schemas (OpenAPI 3.1 flavour) of every type the API exchanges. */
export const schemas = {
    version: "3.1",
    components: {
        schemas: {
            VisitRequest: {
                type: "object",
                properties: {
                    user_id: {
                        type: "string",
                        minLength: 1,
                        maxLength: 256,
                        description: "The shopper's id."
                    },
                    page_url: {
                        type: "string",
                        minLength: 1,
                        maxLength: 2048,
                        description: "The page visited."
                    },
                    user_agent: {
                        oneOf: [
                            {
                                type: "null"
                            },
                            {
                                type: "string",
                                maxLength: 1024
                            }
                        ],
                        description: "When absent, the request's User-Agent header is recorded."
                    },
                    ip_address: {
                        oneOf: [
                            {
                                type: "null"
                            },
                            {
                                type: "string",
                                format: "ipv4"
                            },
                            {
                                type: "string",
                                format: "ipv6"
                            }
                        ],
                        description: "When absent, the client address is recorded."
                    },
                    referrer: {
                        oneOf: [
                            {
                                type: "null"
                            },
                            {
                                type: "string",
                                maxLength: 2048
                            }
                        ]
                    }
                },
                required: [
                    "user_id",
                    "page_url"
                ],
                description: "Body of POST /visit. Unknown fields are ignored."
            },
            VisitResponse: {
                type: "object",
                properties: {
                    success: {
                        "const": true
                    },
                    visit_count: {
                        type: "integer",
                        minimum: 0,
                        description: "Total visits including this one: 1, 2, 3, \u2026 across all threads, no gap, no repeat."
                    },
                    message: {
                        type: "string"
                    }
                },
                required: [
                    "success",
                    "visit_count",
                    "message"
                ]
            },
            StatsQuery: {
                type: "object",
                properties: {
                    timeframe_hours: {
                        type: "number",
                        minimum: 0.1,
                        maximum: 168,
                        "default": 1,
                        description: "Window for `recent_visits`, in hours."
                    }
                },
                required: [],
                description: "Query of GET /stats."
            },
            StatsResponse: {
                type: "object",
                properties: {
                    uptime_seconds: {
                        type: "number"
                    },
                    uptime_formatted: {
                        type: "string",
                        pattern: "^[0-9]+h [0-9]+m [0-9]+s$",
                        description: "`{h}h {m}m {s}s`, hours not wrapped at 24."
                    },
                    total_visits: {
                        type: "integer",
                        minimum: 0
                    },
                    current_time: {
                        type: "string",
                        format: "date-time",
                        description: "UTC, ISO 8601, ending in Z."
                    },
                    server_status: {
                        "const": "running"
                    },
                    recent_visits: {
                        type: "integer",
                        minimum: 0,
                        description: "Visits accepted during the last ceil(timeframe_hours \u00D7 3600) seconds."
                    },
                    timeframe_hours: {
                        type: "number"
                    }
                },
                required: [
                    "uptime_seconds",
                    "uptime_formatted",
                    "total_visits",
                    "current_time",
                    "server_status",
                    "recent_visits",
                    "timeframe_hours"
                ]
            },
            HealthResponse: {
                type: "object",
                properties: {
                    status: {
                        oneOf: [
                            {
                                "const": "healthy"
                            },
                            {
                                "const": "unhealthy"
                            }
                        ]
                    },
                    reason: {
                        type: "string",
                        description: "Why the service is unhealthy; absent when healthy."
                    },
                    workers_alive: {
                        type: "integer",
                        minimum: 0
                    },
                    workers_expected: {
                        type: "integer",
                        minimum: 0
                    },
                    total_visits: {
                        type: "integer",
                        minimum: 0
                    },
                    store: {
                        $ref: "#/components/schemas/StoreHealth"
                    },
                    cluster: {
                        $ref: "#/components/schemas/ClusterHealth",
                        description: "Cluster mode only (--redis)."
                    }
                },
                required: [
                    "status",
                    "workers_alive",
                    "workers_expected",
                    "total_visits",
                    "store"
                ]
            },
            StoreHealth: {
                type: "object",
                properties: {
                    mode: {
                        oneOf: [
                            {
                                "const": "memory"
                            },
                            {
                                "const": "batch"
                            },
                            {
                                "const": "strict"
                            }
                        ],
                        description: "memory: nothing is persisted; batch or strict: the --durability in force."
                    },
                    state: {
                        oneOf: [
                            {
                                "const": "ok"
                            },
                            {
                                "const": "failing"
                            },
                            {
                                "const": "failed"
                            }
                        ],
                        description: "ok; failing (commits fail, retrying, visits refused with 503); failed (given up, stopping)."
                    },
                    lag_ms: {
                        type: "number",
                        description: "Recorder lag: age of the oldest visit of the last committed batch when it was committed, ms."
                    },
                    pending_bytes: {
                        type: "integer",
                        minimum: 0,
                        description: "Bytes of accepted visits waiting in the rings for their commit."
                    },
                    journal_bytes: {
                        type: "integer",
                        minimum: 0,
                        description: "Bytes of committed visits in the journal, not yet moved into DuckDB (normally under a second's worth)."
                    },
                    heartbeat_age_ms: {
                        type: "number",
                        description: "Since the recorder thread last ran, ms (over 5000: stuck, and unhealthy)."
                    }
                },
                required: [
                    "mode"
                ],
                description: "The visit store as /health sees it."
            },
            ClusterHealth: {
                type: "object",
                properties: {
                    state: {
                        oneOf: [
                            {
                                "const": "ok"
                            },
                            {
                                "const": "degraded"
                            }
                        ],
                        description: "ok: the last sync with Redis succeeded; degraded: Redis is unreachable (counting goes on from reserved numbers)."
                    },
                    node_id: {
                        type: "string"
                    },
                    redis: {
                        type: "string",
                        description: "The Redis URL, without its password."
                    },
                    last_sync_age_ms: {
                        oneOf: [
                            {
                                type: "null"
                            },
                            {
                                type: "integer",
                                minimum: 0
                            }
                        ],
                        description: "Since the last successful sync, ms; null before the first."
                    },
                    pending_visits: {
                        type: "integer",
                        minimum: 0,
                        description: "Visits counted here that Redis has not acknowledged yet."
                    },
                    ids_left: {
                        type: "integer",
                        minimum: 0,
                        description: "Reserved visit numbers left (0: POST /visit answers 503 until Redis is back)."
                    },
                    nodes: {
                        type: "integer",
                        minimum: 0,
                        description: "Instances Redis saw in the last 10 s."
                    }
                },
                required: [
                    "state",
                    "node_id",
                    "redis",
                    "last_sync_age_ms",
                    "pending_visits",
                    "ids_left",
                    "nodes"
                ],
                description: "This instance's view of the cluster (cluster mode)."
            },
            ReadyResponse: {
                type: "object",
                properties: {
                    status: {
                        oneOf: [
                            {
                                "const": "ready"
                            },
                            {
                                "const": "not ready"
                            }
                        ]
                    },
                    reason: {
                        type: "string",
                        description: "Why not; absent when ready."
                    }
                },
                required: [
                    "status"
                ]
            },
            HTTPValidationError: {
                type: "object",
                properties: {
                    detail: {
                        type: "array",
                        items: {
                            $ref: "#/components/schemas/ValidationErrorItem"
                        }
                    }
                },
                required: [
                    "detail"
                ],
                description: "422 body."
            },
            ValidationErrorItem: {
                type: "object",
                properties: {
                    type: {
                        type: "string"
                    },
                    loc: {
                        type: "array",
                        items: {
                            oneOf: [
                                {
                                    type: "string"
                                },
                                {
                                    type: "number"
                                }
                            ]
                        }
                    },
                    msg: {
                        type: "string"
                    }
                },
                required: [
                    "type",
                    "loc",
                    "msg"
                ],
                description: "One validation problem, shaped like FastAPI's."
            },
            HTTPError: {
                type: "object",
                properties: {
                    detail: {
                        type: "string"
                    }
                },
                required: [
                    "detail"
                ],
                description: "Every other error body (404, 405, 413, 415, 500, 503)."
            },
            AnalyticsResponse: {
                type: "object",
                properties: {
                    timeframe_hours: {
                        type: "number"
                    },
                    from: {
                        type: "string",
                        format: "date-time",
                        description: "Start of the window's first second (UTC, whole seconds, Z)."
                    },
                    to: {
                        type: "string",
                        format: "date-time",
                        description: "End of the window: the end of the request's second."
                    },
                    visits: {
                        type: "integer",
                        minimum: 0,
                        description: "Visits in the window, acknowledged at least 2 s before the request (all of them in strict mode)."
                    },
                    unique_visitors: {
                        type: "integer",
                        minimum: 0,
                        description: "Distinct user_id values, exact."
                    },
                    top_pages: {
                        type: "array",
                        items: {
                            $ref: "#/components/schemas/AnalyticsPage"
                        },
                        description: "At most `limit`, by visits descending, then page_url ascending (code point order)."
                    },
                    top_referrers: {
                        type: "array",
                        items: {
                            $ref: "#/components/schemas/AnalyticsReferrer"
                        },
                        description: "At most `limit`, by visits descending, then referrer ascending; visits with no referrer are direct_visits."
                    },
                    direct_visits: {
                        type: "integer",
                        minimum: 0,
                        description: "Visits whose referrer was absent, null or empty."
                    },
                    series: {
                        $ref: "#/components/schemas/AnalyticsSeries"
                    },
                    scope: {
                        oneOf: [
                            {
                                "const": "node"
                            },
                            {
                                "const": "cluster"
                            }
                        ],
                        description: "node: this instance's records; cluster: every instance's."
                    }
                },
                required: [
                    "timeframe_hours",
                    "from",
                    "to",
                    "visits",
                    "unique_visitors",
                    "top_pages",
                    "top_referrers",
                    "direct_visits",
                    "series",
                    "scope"
                ],
                description: "GET /analytics: what the campaign drew in the window (operators only)."
            },
            AnalyticsPage: {
                type: "object",
                properties: {
                    page_url: {
                        type: "string"
                    },
                    visits: {
                        type: "integer",
                        minimum: 0
                    },
                    unique_visitors: {
                        type: "integer",
                        minimum: 0
                    }
                },
                required: [
                    "page_url",
                    "visits",
                    "unique_visitors"
                ]
            },
            AnalyticsReferrer: {
                type: "object",
                properties: {
                    referrer: {
                        type: "string"
                    },
                    visits: {
                        type: "integer",
                        minimum: 0
                    }
                },
                required: [
                    "referrer",
                    "visits"
                ]
            },
            AnalyticsSeries: {
                type: "object",
                properties: {
                    step_seconds: {
                        type: "integer",
                        minimum: 0,
                        description: "60 \u00D7 ceil(W / 21600), W the window in seconds."
                    },
                    points: {
                        type: "array",
                        items: {
                            type: "array",
                            prefixItems: [
                                {
                                    type: "string",
                                    format: "date-time"
                                },
                                {
                                    type: "integer",
                                    minimum: 0
                                }
                            ],
                            additionalItems: false
                        },
                        description: "[start of the step (UTC, Z), visits in it]."
                    }
                },
                required: [
                    "step_seconds",
                    "points"
                ],
                description: "Visits per step over the whole window, oldest first, zeros included; the points add up to `visits`."
            }
        }
    },
    schemas: [
        {
            $ref: "#/components/schemas/VisitRequest"
        },
        {
            $ref: "#/components/schemas/VisitResponse"
        },
        {
            $ref: "#/components/schemas/StatsQuery"
        },
        {
            $ref: "#/components/schemas/StatsResponse"
        },
        {
            $ref: "#/components/schemas/HealthResponse"
        },
        {
            $ref: "#/components/schemas/ReadyResponse"
        },
        {
            $ref: "#/components/schemas/HTTPValidationError"
        },
        {
            $ref: "#/components/schemas/HTTPError"
        },
        {
            $ref: "#/components/schemas/AnalyticsResponse"
        }
    ]
} as import("typia").IJsonSchemaCollection<"3.1">;

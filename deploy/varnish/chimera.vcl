# Varnish in front of the Chimera API (Varnish 7 with varnish-modules' xkey). The API decides what may be cached:
#   - only GET/HEAD without credentials are looked up and stored; anything with Authorization, X-API-Key or a cookie
#     goes to the API and back untouched, so a user's result can never be served to anyone else;
#   - a response is stored only when the API said `public, s-maxage=N` (its TTL), never when it said private or
#     no-store; stale-while-revalidate becomes grace;
#   - the API tags every public response with xkey (entities, lists); `PURGE /` with `xkey-purge: <tags…>` from an
#     address in `purgers` drops exactly the objects with those tags (the API's EDGE_PURGE=varnish does it on writes).
# Set the backend to the API (host and port), and `purgers` to the API hosts, for your deployment.
vcl 4.1;

import xkey;

backend chimera {
    .host = "127.0.0.1";
    .port = "4000";
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purging is not allowed from this address"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "PURGE needs an xkey-purge header naming the tags"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone + " objects"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization || req.http.X-Api-Key || req.http.Cookie) {
        return (pass);
    }
    return (hash);
}

sub vcl_hash {
    # The representation depends on what the client accepts (application/graphql-response+json or application/json).
    hash_data(req.http.Accept);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.http.Cache-Control !~ "public" || beresp.http.Cache-Control ~ "(private|no-store)" || beresp.http.Set-Cookie) {
        # Remember for a while not to wait for this URL (hit-for-miss), but store nothing.
        set beresp.uncacheable = true;
        set beresp.ttl = 30s;
        return (deliver);
    }
    return (deliver);
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # The tags are for this cache; clients and other proxies do not need them.
    unset resp.http.xkey;
}

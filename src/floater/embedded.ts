// The YAML under embedded-manifests/, compiled into the binary (reading from disk at run time
// would fail: the files are not shipped beside it).
import namespace from "../../embedded-manifests/namespace.yaml" with { type: "text" };
import serviceAccount from "../../embedded-manifests/serviceaccount.yaml" with { type: "text" };
import daemonSet from "../../embedded-manifests/floater-daemonset.yaml" with { type: "text" };
import service from "../../embedded-manifests/floater-service.yaml" with { type: "text" };

export const MANIFESTS = { namespace, serviceAccount, daemonSet, service } as const;

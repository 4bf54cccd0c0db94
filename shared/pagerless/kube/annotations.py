"""The annotations Kubernetes' controllers and kubectl write on a Deployment and its ReplicaSets, which Pagerless
reads: which revision a ReplicaSet or the Deployment is at, how many replicas a rollout wanted, what the last
``kubectl apply`` declared."""

# the rollout revision of a ReplicaSet, and of its Deployment (the current one)
REVISION = "deployment.kubernetes.io/revision"
# the replicas the Deployment wanted when the ReplicaSet was last rolled out
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
# the object as the last ``kubectl apply`` declared it, as JSON
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

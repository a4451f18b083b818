namespace OpenChat.Kubernetes.Tests;

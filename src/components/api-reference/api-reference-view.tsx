// The API reference page: what the document is, where to get it, and the document rendered.
import { Card } from "@/components/ui/card";
import { SwaggerReference } from "./swagger-reference";

const specUrl = "/openapi.json";

export function ApiReferenceView() {
  return (
    <div className="grid gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">API reference</h1>
        <p className="mt-1 max-w-3xl text-sm text-muted-foreground">
          Every route this server answers — REST, the Segment, RudderStack and PostHog SDK protocols, the public tRPC procedures — with its
          request and answer schemas, errors and credentials. Generated from the same zod schemas the routes use; the OpenAPI 3.1 document is at{" "}
          <a href={specUrl} className="font-medium text-primary underline-offset-4 hover:underline">
            {specUrl}
          </a>{" "}
          for code generators and other tools.
        </p>
      </div>
      <Card className="overflow-hidden">
        <SwaggerReference specUrl={specUrl} />
      </Card>
    </div>
  );
}

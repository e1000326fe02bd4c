/** An API key's row as the service and the CLI's key store both read it: never the secret. */
export interface ApiKeyRow {
  key_id: string;
  user_id: string;
  admin: boolean;
  created_by: string | null;
  created_at: string;
  revoked_at: string | null;
}

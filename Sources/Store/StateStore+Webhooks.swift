/// Webhook secrets (one per deployment, only in the encrypted database) and the delivery ids
/// already accepted (replay protection).
extension StateStore {
    /// The deployment's webhook secret, `nil` if none was created yet.
    public func webhookSecret(of deployment: String) throws -> String? {
        try db().query("SELECT secret FROM webhook_secrets WHERE deployment = ?", [.text(deployment)]).first?.string(0)
    }

    /// Stores `secret` as the deployment's webhook secret, replacing an earlier one.
    ///
    /// - Returns: `false` (nothing stored) if there is no such deployment.
    @discardableResult
    public func setWebhookSecret(_ deployment: String, _ secret: String) throws -> Bool {
        let db = try db()
        return try db.transaction {
            guard try db.query("SELECT 1 FROM deployments WHERE name = ?", [.text(deployment)]).first != nil else { return false }
            try db.run("DELETE FROM webhook_secrets WHERE deployment = ?", [.text(deployment)])
            try db.run(
                "INSERT INTO webhook_secrets (deployment, secret, created_at) VALUES (?, ?, ?)",
                [.text(deployment), .text(secret), .real(Self.now)])
            return true
        }
    }

    /// Records a delivery id; deliveries older than `retentionSeconds` are forgotten.
    ///
    /// - Returns: `false` if this id was already recorded for the deployment (a replay).
    public func recordDelivery(_ deployment: String, id: String, retentionSeconds: Double = 7 * 86_400) throws -> Bool {
        let db = try db()
        return try db.transaction {
            try db.run("DELETE FROM webhook_deliveries WHERE received_at < ?", [.real(Self.now - retentionSeconds)])
            if try db.query(
                "SELECT 1 FROM webhook_deliveries WHERE deployment = ? AND delivery_id = ?",
                [.text(deployment), .text(id)]
            ).first != nil {
                return false
            }
            try db.run(
                "INSERT INTO webhook_deliveries (deployment, delivery_id, received_at) VALUES (?, ?, ?)",
                [.text(deployment), .text(id), .real(Self.now)])
            return true
        }
    }
}
